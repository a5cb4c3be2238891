/* The option table (issue 23): every row is sane, and what the commands
 * say about an option agrees with the row: the built binary's --help of
 * every command that takes it lists it, the man page lists it, and an
 * out-of-range value gets the same one-line error, naming the row's range,
 * from every command that takes it. The commands' outputs are the
 * independent side: they are read back as a user sees them. */
#include "test_cli.h"

#include "gan/run_config.h"
#include "gan/train.h"

static void setup(void)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "options");
}

/* The commands by their CFG_CMD_* bit. */
static const struct {
    unsigned bit;
    const char *name;
} commands[] = {
    {CFG_CMD_TRAIN, "train"},   {CFG_CMD_EXPERIMENT, "experiment"}, {CFG_CMD_PROBE, "probe"},
    {CFG_CMD_SAMPLE, "sample"}, {CFG_CMD_EVAL, "eval"},             {CFG_CMD_CLASSIFIER, "classifier train"},
};
enum { n_commands = sizeof commands / sizeof commands[0] };

static int is_number(cfg_type_t t)
{
    return t == CFG_INT || t == CFG_LONG || t == CFG_U64 || t == CFG_FLOAT;
}

Test(options, every_row_is_complete_and_its_default_is_in_its_range, .init = setup,
     .fini = teardown)
{
    train_cfg_t cfg;
    train_cfg_default(&cfg);
    gan_err_t err;
    cr_expect_eq(train_cfg_check(&cfg, &err), GAN_OK, "defaults out of range: %s", err.msg);
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        cr_expect(o->name || o->key, "row %d has neither a name nor a key", i);
        if (!o->name)
            continue;
        cr_expect(o->help && o->help[0], "--%s: no help", o->name);
        cr_expect(o->commands != 0, "--%s: no command takes it", o->name);
        cr_expect(o->section != NULL, "--%s: no help section", o->name);
        cr_expect(o->type == CFG_FLAG || o->metavar, "--%s: no metavar", o->name);
        cr_expect_eq(cfg_option(o->name), o, "--%s: named twice", o->name);
        if (is_number(o->type))
            cr_expect(o->lo <= o->hi, "--%s: range %g..%g", o->name, o->lo, o->hi);
        /* The default reads back through the option's own parser. */
        train_cfg_t scratch;
        train_cfg_default(&scratch);
        if (o->def[0])
            cr_expect_eq(train_cfg_set(&scratch, o->name, o->def, &err), GAN_OK, "--%s=%s: %s",
                         o->name, o->def, err.msg);
        for (int j = 0; j < i; j++)
            if (o->key && cfg_options[j].key)
                cr_expect_str_neq(o->key, cfg_options[j].key, "JSON key %s twice", o->key);
    }
}

/* The JSON of a run read back by key gives the same settings, and a JSON
 * with its keys in another order reads the same (not by position). */
Test(options, the_settings_json_reads_back_by_key_in_any_order, .init = setup, .fini = teardown)
{
    train_cfg_t cfg, back;
    train_cfg_default(&cfg);
    gan_err_t err;
    cr_assert_eq(train_cfg_set(&cfg, "lr", "0.0004", &err), GAN_OK);
    cr_assert_eq(train_cfg_set(&cfg, "g-hidden", "32,64", &err), GAN_OK);
    cr_assert_eq(train_cfg_set(&cfg, "data", "/x/mnist", &err), GAN_OK);
    cr_assert_eq(train_cfg_set(&cfg, "precision", "bf16", &err), GAN_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    fputs("{\n", mem);
    train_cfg_write_fields(mem, &cfg);
    fputs("\n}\n", mem);
    fclose(mem);
    track(text);
    cr_assert_eq(train_cfg_read_json(&back, text, "json", &err), GAN_OK, "%s", err.msg);
    train_cfg_diff_t d;
    cr_expect_eq(train_cfg_diff(&d, &cfg, &back), 0, "--%s: %s vs %s", d.option, d.recorded,
                 d.requested);
    /* Reverse the lines (the object's members) and read again. */
    char *lines[128];
    int n = 0;
    char *copy = track(strdup(text));
    for (char *line = strtok(copy, "\n"); line && n < 128; line = strtok(NULL, "\n"))
        if (line[0] == ' ')
            lines[n++] = line;
    char *rev = track(calloc(len + 16, 1));
    strcat(rev, "{\n");
    for (int i = n - 1; i >= 0; i--) {
        size_t l = strlen(lines[i]);
        if (lines[i][l - 1] == ',')
            lines[i][l - 1] = '\0';
        strcat(rev, lines[i]);
        strcat(rev, i ? ",\n" : "\n");
    }
    strcat(rev, "}\n");
    cr_assert_eq(train_cfg_read_json(&back, rev, "reversed", &err), GAN_OK, "%s\n%s", err.msg,
                 rev);
    cr_expect_eq(train_cfg_diff(&d, &cfg, &back), 0, "--%s: %s vs %s", d.option, d.recorded,
                 d.requested);
    cr_expect_str_eq(back.data_dir, "/x/mnist");
    cr_expect_eq(back.epochs, cfg.epochs);
}

/* stdout + stderr of `gan <args>` (the command's words in a shell line). */
static char *output_of(const char *shell_args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s > %s/o.txt 2>&1", GAN_BIN, shell_args, tmp_dir);
    int status = system(cmd);
    (void)status;
    return must_read(tmp_path("o.txt"), NULL);
}

Test(options, every_option_is_in_the_help_of_each_command_that_takes_it_and_in_the_man_page,
     .init = setup, .fini = teardown)
{
    char *man = must_read(GAN_MAN, NULL);
    for (int c = 0; c < n_commands; c++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", commands[c].name);
        char *help = output_of(args);
        for (int i = 0; i < cfg_n_options; i++) {
            const cfg_option_t *o = &cfg_options[i];
            if (!o->name || !(o->commands & commands[c].bit))
                continue;
            char want[64];
            snprintf(want, sizeof want, o->type == CFG_FLAG ? "--no-%s" : "--%s=", o->name);
            cr_expect(strstr(help, want) != NULL, "gan %s --help lacks %s", commands[c].name,
                      want);
            /* The man page escapes '-' as '\-'. */
            char man_want[80];
            size_t k = 0;
            for (const char *p = want; *p && k + 2 < sizeof man_want; p++) {
                if (*p == '-')
                    man_want[k++] = '\\';
                man_want[k++] = *p;
            }
            man_want[k] = '\0';
            cr_expect(strstr(man, man_want) || strstr(man, want), "the man page lacks %s", want);
        }
    }
}

Test(options, an_out_of_range_value_gets_one_error_naming_the_range_from_every_command,
     .init = setup, .fini = teardown)
{
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (!o->name || !is_number(o->type))
            continue;
        char bad[64], want[160];
        double over = o->hi >= 1e9 ? o->hi * 4 + 1 : o->hi * 2 + 1;
        if (o->type == CFG_FLOAT)
            snprintf(bad, sizeof bad, "%g", over);
        else
            snprintf(bad, sizeof bad, "%.0f", over);
        if (o->type == CFG_FLOAT)
            snprintf(want, sizeof want, "gan: --%s=%s: must be between %g and %g\n", o->name, bad,
                     o->lo, o->hi);
        else
            snprintf(want, sizeof want, "gan: --%s=%s: must be between %.0f and %.0f\n", o->name,
                     bad, o->lo, o->hi);
        for (int c = 0; c < n_commands; c++) {
            if (!(o->commands & commands[c].bit))
                continue;
            char args[160];
            snprintf(args, sizeof args, "%s --%s=%s", commands[c].name, o->name, bad);
            cr_expect_str_eq(output_of(args), want, "gan %s", args);
        }
    }
}

/* --d-lr (added through the table): 0 gives D --lr's rate, so a run with
 * --d-lr equal to --lr is the same run bit for bit; another rate gives D
 * other weights from the first step. */
static void train_small(const char *name, float d_lr, gan_t *out)
{
    train_cfg_t cfg;
    small_run_cfg(&cfg);
    gan_err_t err;
    cfg.d_lr = d_lr;
    char *dir = tmp_path(name);
    train_opts_t opts = {.run_dir = dir};
    cr_assert_eq(train_run(&cfg, &opts, &err), GAN_OK, "%s", err.msg);
    train_cfg_t loaded;
    cr_assert_eq(train_load_gan(out, &loaded, dir, 64, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(loaded.d_lr, d_lr, "config.json/checkpoint keep --d-lr");
}

Test(options, d_lr_zero_is_lr_and_another_rate_reaches_only_d_first, .init = setup,
     .fini = teardown, .timeout = 120)
{
    need_mnist();
    gan_t same, explicit, other;
    train_small("same", 0.0f, &same);
    train_small("explicit", 2e-4f, &explicit);
    train_small("other", 1e-3f, &other);
    size_t gb = same.g.n_params * sizeof(float), db = same.d.n_params * sizeof(float);
    cr_expect(memcmp(same.g.params, explicit.g.params, gb) == 0, "G: d-lr = lr is lr");
    cr_expect(memcmp(same.d.params, explicit.d.params, db) == 0, "D: d-lr = lr is lr");
    cr_expect(memcmp(same.d.params, other.d.params, db) != 0, "D: another rate");
    gan_destroy(&same);
    gan_destroy(&explicit);
    gan_destroy(&other);
}
