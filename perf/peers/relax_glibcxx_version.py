#!/usr/bin/python3
"""Marks one symbol-version requirement of an ELF shared library as weak, in place.

TorchSharp 0.107's libLibTorchSharp.so is built with GCC 13 and so requires libstdc++'s
GLIBCXX_3.4.32, which Debian 12 (GCC 12, GLIBCXX_3.4.30) lacks; the dynamic loader then refuses
to load it. The only symbol behind that version, std::ios_base_library_init(), is listed but
has no relocation (nothing calls it or takes its address), so the requirement can be made weak:
ld.so then skips the missing version instead of failing. Only the 2-byte vna_flags field of that
one Elf64_Vernaux entry changes.

usage: relax_glibcxx_version.py LIBRARY [VERSION]   (VERSION defaults to GLIBCXX_3.4.32)
Exit 0 when the requirement is (now) weak or absent; prints what it did.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main() -> int:
    path = sys.argv[1]
    wanted = (sys.argv[2] if len(sys.argv) > 2 else "GLIBCXX_3.4.32").encode()
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            print(f"{path}: not a 64-bit little-endian ELF file", file=sys.stderr)
            return 2
        # Elf64_Ehdr: section header offset, entry size, count.
        shoff = struct.unpack_from("<Q", data, 0x28)[0]
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        verneed = [s for s in sections if s[1] == SHT_GNU_VERNEED]
        if not verneed:
            print(f"{path}: no version requirements; nothing to do")
            return 0
        _, _, _, _, offset, _, link, count, _, _ = verneed[0]
        strtab = sections[link][4]

        def name_at(index: int) -> bytes:
            start = strtab + index
            return bytes(data[start:data.index(0, start)])

        # Elf64_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next.
        entry = offset
        for _ in range(count):
            _, aux_count, file_name, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            # Elf64_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next.
            position = entry + aux
            for _ in range(aux_count):
                _, flags, _, aux_name, aux_next = struct.unpack_from("<IHHII", data, position)
                if name_at(aux_name) == wanted:
                    library = name_at(file_name).decode()
                    if flags & VER_FLG_WEAK:
                        print(f"{path}: {wanted.decode()} from {library} is already weak")
                        return 0
                    struct.pack_into("<H", data, position + 4, flags | VER_FLG_WEAK)
                    f.seek(0)
                    f.write(data)
                    print(f"{path}: {wanted.decode()} from {library} is now a weak requirement")
                    return 0
                position += aux_next
            entry += next_entry
    print(f"{path}: does not require {wanted.decode()}; nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
