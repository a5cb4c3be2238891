/* CRC-32C (Castagnoli) and the masked form that TFRecord files store.
 *
 * CRC-32C is not zlib's CRC-32: same width and conventions (reflected,
 * initial value and final xor 0xFFFFFFFF) but another polynomial,
 * 0x1EDC6F41, 0x82F63B78 reflected (RFC 3720, section 12.1 and B.4).
 * TensorFlow's record files (record_writer.h: "uint64 length, uint32
 * masked crc of length, byte data[length], uint32 masked crc of data")
 * store it masked, see crc32c_mask. */
#ifndef GAN_CRC32C_H
#define GAN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of data[0..n) continued from crc, the CRC-32C of the bytes
 * before it (0 to start): crc32c_extend(crc32c_extend(0, a, na), b, nb) is
 * the CRC of a followed by b. data may be NULL when n is 0. */
uint32_t crc32c_extend(uint32_t crc, const void *data, size_t n);

/* CRC-32C of data[0..n); "123456789" gives 0xE3069283. */
uint32_t crc32c_value(const void *data, size_t n);

/* The masked CRC that TFRecord stores: rotate right by 15 bits, then add
 * 0xa282ead8 (tensorflow/core/lib/hash/crc32c.h, Mask and kMaskDelta).
 * Masking exists because the CRC of data that itself contains CRCs is
 * weak; it changes nothing about error detection of the record. */
uint32_t crc32c_mask(uint32_t crc);

/* The inverse of crc32c_mask. */
uint32_t crc32c_unmask(uint32_t masked);

#endif
