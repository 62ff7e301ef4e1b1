#!/usr/bin/env python3
"""Read and write invforecast model files (format version 1) from Python, standard library only.

The layout is specified in lib/model/model_file.hpp; the metadata JSON and the tensor list in
lib/model/model_config.hpp.  write_model() produces the same bytes as the C++ writer for the same
metadata and tensors (the C++ writer sorts JSON keys and stores tensors in expected_tensors() order,
so pass them in that order).  Tensors are given as (name, dims, values) where values is anything
array('f', ...) accepts or an object with tobytes() holding little-endian float32 (numpy, torch .numpy()).

    python3 scripts/invf_model_format.py show FILE...       print metadata and tensor table, verify CRC
    python3 scripts/invf_model_format.py rewrite-check FILE...
        read each file and write it again from what was read: the bytes must be identical (a check that
        this module and the C++ writer agree; tests/script_model_file.sh runs it on the frozen fixtures)
"""
import json
import struct
import sys
import zlib
from array import array

MAGIC = b"INVFMDL\0"
FORMAT_VERSION = 1
ALIGNMENT = 64
DTYPE_F32 = 1
PREAMBLE = struct.Struct("<8sIIQQ")  # magic, version, tensor_count, metadata_len, header_len


def _align(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _f32_bytes(values):
    if hasattr(values, "tobytes") and not isinstance(values, array):
        data = values.tobytes()
    else:
        data = array("f", values).tobytes()
    if sys.byteorder != "little":
        raise ValueError("this helper writes on little-endian hosts only")
    return data


def metadata_json(metadata):
    """The metadata block's text, as the C++ writer (nlohmann::json::dump) spells it."""
    return json.dumps(metadata, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def write_model(metadata, tensors):
    """metadata: dict with config/features/provenance; tensors: [(name, dims, values)] in file order."""
    meta = metadata_json(metadata).encode("utf-8")
    blobs = [(name, [int(d) for d in dims], _f32_bytes(values)) for name, dims, values in tensors]
    for name, dims, data in blobs:
        count = 1
        for d in dims:
            count *= d
        if count * 4 != len(data):
            raise ValueError(f"tensor {name}: shape {dims} needs {count} values, got {len(data) // 4}")
    table_size = sum(4 + len(n.encode()) + 4 + 4 + 8 * len(d) + 8 + 8 for n, d, _ in blobs)
    header_len = PREAMBLE.size + len(meta) + table_size
    offsets, offset = [], _align(header_len)
    for _, _, data in blobs:
        offsets.append(offset)
        offset = _align(offset + len(data))
    out = bytearray(PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(blobs), len(meta), header_len))
    out += meta
    for (name, dims, data), off in zip(blobs, offsets):
        encoded = name.encode("ascii")
        out += struct.pack("<I", len(encoded)) + encoded
        out += struct.pack("<II", DTYPE_F32, len(dims)) + struct.pack(f"<{len(dims)}q", *dims)
        out += struct.pack("<QQ", off, len(data))
    for (_, _, data), off in zip(blobs, offsets):
        out += bytes(off - len(out))
        out += data
    out += struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF)
    return bytes(out)


def read_model(data):
    """Returns (metadata dict, [(name, dims, array('f'))] in file order); raises ValueError when damaged."""
    if len(data) < PREAMBLE.size + 4:
        raise ValueError(f"{len(data)} bytes, shorter than the minimum")
    magic, version, count, meta_len, header_len = PREAMBLE.unpack_from(data, 0)
    if magic != MAGIC:
        raise ValueError("bad magic")
    if version != FORMAT_VERSION:
        raise ValueError(f"format version {version}, this helper reads {FORMAT_VERSION}")
    end = len(data) - 4
    if not PREAMBLE.size <= header_len <= end or meta_len > header_len - PREAMBLE.size:
        raise ValueError("header or metadata length outside the file")
    (stored,) = struct.unpack_from("<I", data, end)
    if stored != zlib.crc32(data[:end]) & 0xFFFFFFFF:
        raise ValueError("checksum mismatch")
    metadata = json.loads(data[PREAMBLE.size:PREAMBLE.size + meta_len].decode("utf-8"))
    pos, tensors = PREAMBLE.size + meta_len, []
    for _ in range(count):
        (name_len,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + name_len].decode("ascii")
        pos += 4 + name_len
        dtype, rank = struct.unpack_from("<II", data, pos)
        dims = list(struct.unpack_from(f"<{rank}q", data, pos + 8))
        pos += 8 + 8 * rank
        off, length = struct.unpack_from("<QQ", data, pos)
        pos += 16
        if dtype != DTYPE_F32 or off % ALIGNMENT or off < header_len or off + length > end:
            raise ValueError(f"tensor {name}: bad dtype, offset or length")
        values = array("f")
        values.frombytes(data[off:off + length])
        tensors.append((name, dims, values))
    if pos != header_len:
        raise ValueError("tensor table does not end at the header length")
    return metadata, tensors


def main(argv):
    if len(argv) < 3 or argv[1] not in ("show", "rewrite-check"):
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for path in argv[2:]:
        with open(path, "rb") as f:
            data = f.read()
        metadata, tensors = read_model(data)
        if argv[1] == "show":
            print(f"{path}: {len(data)} bytes, format version {FORMAT_VERSION}, checksum ok")
            print(json.dumps(metadata, indent=2, sort_keys=True))
            for name, dims, values in tensors:
                print(f"  {name:32s} {str(dims):16s} first {values[0]:+.6f}")
        else:
            same = write_model(metadata, tensors) == data
            print(f"{path}: {'identical' if same else 'DIFFERENT'} after read + write")
            status |= 0 if same else 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
