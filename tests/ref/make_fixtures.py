"""Writes the PyTorch reference fixtures that tests/test_reference.c (and the
GAN step test) compare our float32 C code against, tensor by tensor.

    tests/ref/mlp_adam.bin  a small leaky-ReLU discriminator-like net "d"
                            (forward, BCE-with-logits loss, every gradient,
                            three Adam steps), a leaky-ReLU + tanh generator-like
                            net "g" (forward, gradients for a given upstream
                            gradient) and per-element BCE rows at extreme logits.
    tests/ref/gan_step.bin  two full GAN training steps (D step, then the
                            non-saturating G step of Goodfellow et al. 2014)
                            with Adam(lr=2e-4, betas=(0.5, 0.999)).

Rerun from the repository root (needs the Debian package python3-torch; CI
does not, it only reads the committed .bin files):

    /usr/bin/python3 tests/ref/make_fixtures.py

Everything is computed in float64 so the reference is closer to exact than
the float32 code under test. Inputs (x, z, weights, real batches) are drawn,
rounded to float32 first and only then used in float64, so the C side, which
reads the stored float32 values, starts from exactly the same numbers.

File format (little-endian): 8-byte magic b"GANREF01", u32 tensor count, then
per tensor: u32 name length, name bytes (no NUL), u32 ndim, u32 dims[ndim],
float32 data (row-major).
"""
import os
import struct

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
LEAK = 0.2
# A hidden pre-activation closer to 0 than this could land on the other side
# of the leaky-ReLU kink in float32, and the C test would then legitimately
# disagree; refuse to write such a fixture.
KINK_MARGIN = 1e-5


def f32(t):
    """Rounds to float32 and back: the value the C side will read."""
    return t.float().double()


def write_fixture(path, tensors):
    with open(path, "wb") as f:
        f.write(b"GANREF01")
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            t = t.detach()
            raw = name.encode()
            f.write(struct.pack("<I", len(raw)) + raw)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack("<%dI" % t.dim(), *t.shape))
            f.write(struct.pack("<%df" % t.numel(), *t.flatten().tolist()))
    print("wrote %s: %d tensors, %d bytes" % (os.path.relpath(path), len(tensors),
                                              os.path.getsize(path)))


class MLP(torch.nn.Module):
    """Linear layers with an activation name per layer, like mlp_create."""

    def __init__(self, sizes, acts):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.acts = acts

    def forward(self, x):
        for layer, act in zip(self.layers, self.acts):
            x = layer(x)
            if act == "leaky_relu":
                assert x.detach().abs().min() > KINK_MARGIN, "pre-activation at the kink"
                x = F.leaky_relu(x, LEAK)
            elif act == "tanh":
                x = torch.tanh(x)
        return x

    def round_params(self, std=None):
        """Redraws N(0, std^2) if std is given, then rounds to float32."""
        with torch.no_grad():
            for p in self.parameters():
                if std is not None:
                    p.normal_(0.0, std)
                p.copy_(f32(p))

    def save(self, out, prefix, what="params"):
        for i, layer in enumerate(self.layers):
            if what == "params":
                out["%s.l%d.w" % (prefix, i)] = layer.weight.detach().clone()
                out["%s.l%d.b" % (prefix, i)] = layer.bias.detach().clone()
            else:
                out["%s.l%d.dw" % (prefix, i)] = layer.weight.grad.clone()
                out["%s.l%d.db" % (prefix, i)] = layer.bias.grad.clone()


def bce(logits, target):
    """Mean BCE with logits against one shared target value."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def make_mlp_adam():
    torch.manual_seed(0)
    out = {}

    # Net "d": 7 -> 6 -> 5 -> 1, logit output, targets [1, 1, 0, 0].
    x = f32(torch.randn(4, 7)).requires_grad_()
    d = MLP([7, 6, 5, 1], ["leaky_relu", "leaky_relu", "identity"])
    d.round_params(std=0.5)
    target = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    out["d.x"] = x.detach().clone()
    d.save(out, "d")
    logits = d(x)
    loss = F.binary_cross_entropy_with_logits(logits, target)
    loss.backward()
    out["d.logits"] = logits.detach().clone()
    out["d.loss"] = loss.detach().reshape(1)
    d.save(out, "d", "grads")
    out["d.dx"] = x.grad.clone()

    opt = torch.optim.Adam(d.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    for k in (1, 2, 3):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(d(x.detach()), target)
        loss.backward()
        opt.step()
        out["d.adam%d.loss" % k] = loss.detach().reshape(1)
    d.save(out, "d.adam3")

    # Net "g": 5 -> 6 -> 8, tanh output, upstream gradient r.
    z = f32(torch.randn(3, 5)).requires_grad_()
    g = MLP([5, 6, 8], ["leaky_relu", "tanh"])
    g.round_params(std=0.7)
    r = f32(torch.randn(3, 8))
    out["g.z"] = z.detach().clone()
    g.save(out, "g")
    out["g.r"] = r
    y = g(z)
    (y * r).sum().backward()
    out["g.out"] = y.detach().clone()
    g.save(out, "g", "grads")
    out["g.dz"] = z.grad.clone()

    # Per-element BCE rows, including logits where a naive sigmoid saturates.
    logits = torch.tensor([-100.0, -1.0, 0.0, 1.0, 100.0])
    out["bce.logits"] = logits
    for t in (1, 0):
        v = logits.clone().requires_grad_()
        loss = F.binary_cross_entropy_with_logits(v, torch.full_like(v, float(t)),
                                                  reduction="none")
        loss.sum().backward()
        out["bce.loss_t%d" % t] = loss.detach().clone()
        out["bce.grad_t%d" % t] = v.grad.clone()

    write_fixture(os.path.join(HERE, "mlp_adam.bin"), out)


def make_gan_step():
    torch.manual_seed(0)
    out = {}
    G = MLP([8, 16, 24, 32, 20], ["leaky_relu"] * 3 + ["tanh"])
    D = MLP([20, 32, 24, 16, 1], ["leaky_relu"] * 3 + ["identity"])
    G.round_params()  # nn.Linear's default init, rounded to float32
    D.round_params()
    G.save(out, "G")
    D.save(out, "D")
    g_opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    d_opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)

    for k in (0, 1):
        s = "s%d" % k
        real = f32(torch.rand(6, 20) * 2.0 - 1.0)
        z = f32(torch.randn(6, 8))
        out[s + ".real"] = real
        out[s + ".z"] = z
        fake = G(z)

        d_opt.zero_grad()
        d_real_logits = D(real)
        d_fake_logits = D(fake.detach())
        d_loss = bce(d_real_logits, 1.0) + bce(d_fake_logits, 0.0)
        d_loss.backward()
        D.save(out, s + ".D", "grads")
        d_opt.step()

        # Non-saturating G loss (Goodfellow et al. 2014) through the updated
        # D; G is not re-run, the same fake batch is reused.
        g_opt.zero_grad()
        g_loss = bce(D(fake), 1.0)
        g_loss.backward()
        G.save(out, s + ".G", "grads")
        g_opt.step()

        out[s + ".fake"] = fake.detach().clone()
        out[s + ".d_loss"] = d_loss.detach().reshape(1)
        out[s + ".g_loss"] = g_loss.detach().reshape(1)
        out[s + ".d_real"] = torch.sigmoid(d_real_logits).mean().detach().reshape(1)
        out[s + ".d_fake"] = torch.sigmoid(d_fake_logits).mean().detach().reshape(1)
        D.save(out, s + ".D")
        G.save(out, s + ".G")

    write_fixture(os.path.join(HERE, "gan_step.bin"), out)


if __name__ == "__main__":
    make_mlp_adam()
    make_gan_step()
