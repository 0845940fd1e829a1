#!/usr/bin/env python3
"""Fails on a reference to a file that is not in the repository.

    check_references.py ROOT        exit 0: every reference resolves; 1: problems (listed);
                                    2: usage error
    check_references.py --self-test proves the check can fail (temporary trees)

Walks ROOT (no git needed), skipping .git/, node_modules/, __pycache__/, hidden folders other
than .ci/ and .github/, and top-level build*/ directories, and reads every text file (binary
files — a NUL byte in the first 8 KiB — are skipped). Three checks:

  link      a Markdown link [text](target) in a .md file (outside ``` fences) whose target is
            not a URL or an #anchor must exist, relative to the file's directory;
  path      a mention of a repository path anywhere — a top-level folder of ROOT (or docs/)
            followed by /segments, ending in a file extension or in "/" (a folder) — must
            exist, relative to ROOT. Mentions inside URLs or absolute paths (preceded by
            "/", "<", a word character or "."), templated ones (followed by "<", "{", "*" or "$"),
            extension-less names (scripts/demo) and anything under node_modules/ are not
            checked, nor pairs listed in tests/docs/reference_allowlist.txt;
  contract  the out-of-tree contract files (DESIGN, STYLE and GENESYS_API, each + ".md") must
            not be cited at all: cite docs/ instead.

Output: one line per problem, "FILE:LINE: KIND: REFERENCE", then a count.
"""

import os
import re
import shutil
import sys
import tempfile

SKIP_DIRS = {".git", "node_modules", "__pycache__"}
KEEP_HIDDEN = {".ci", ".github"}  # other hidden folders (.cache, .venv, editor state) are skipped


def skipped(name, top_level):
    return (name in SKIP_DIRS or (name.startswith(".") and name not in KEEP_HIDDEN)
            or (top_level and name.startswith("build")))
# Spelled in pieces so that this file does not cite them itself.
CONTRACT_NAMES = ["DESIGN" + ".md", "STYLE" + ".md", "GENESYS_API" + ".md"]
CONTRACT = re.compile(r"(?<![\w-])(?:%s)" % "|".join(re.escape(n) for n in CONTRACT_NAMES))
LINK = re.compile(r"\[[^\]\n]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")
SEGMENT = r"[A-Za-z0-9_.+\-]"
EXTENSION = re.compile(r"\.[A-Za-z0-9]+$")


def top_level_folders(root):
    names = {"docs"}
    for entry in os.listdir(root):
        if os.path.isdir(os.path.join(root, entry)) and not skipped(entry, True):
            names.add(entry)
    return names


def path_pattern(folders):
    alternatives = "|".join(re.escape(f) for f in sorted(folders, key=len, reverse=True))
    # Not preceded by a path or word character (so not inside URLs or absolute paths).
    return re.compile(r"(?<![\w./\-~$@<])((?:%s)/(?:%s+/)*%s*)" % (alternatives, SEGMENT, SEGMENT))


def text_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if not skipped(d, rel_dir == "."))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                with open(full, "rb") as fh:
                    raw = fh.read()
            except OSError:
                continue
            if b"\0" in raw[:8192]:
                continue
            yield os.path.normpath(os.path.relpath(full, root)), raw.decode("utf-8", "replace")


def check_path(root, ref, following):
    """The repository path a mention names, or None when the mention is not checked."""
    while ref.endswith((".", ",", ":", ";")):
        ref = ref[:-1]
    if following in "<{*$" and following != "":
        return None
    if "node_modules" in ref.split("/"):
        return None
    if not (ref.endswith("/") or EXTENSION.search(ref.rsplit("/", 1)[-1])):
        return None
    return ref


SELF = "tests/docs/check_references.py"
ALLOWLIST = "tests/docs/reference_allowlist.txt"


def read_allowlist(root):
    """(file, reference) pairs that are not references to repository files, e.g. a made-up
    source name in a test. Lines: "FILE REFERENCE  # why"."""
    allowed = set()
    try:
        with open(os.path.join(root, ALLOWLIST), encoding="utf-8") as fh:
            for line in fh:
                fields = line.split("#", 1)[0].split()
                if len(fields) == 2:
                    allowed.add((fields[0], fields[1]))
    except OSError:
        pass
    return allowed


def link_resolves(root, rel, target):
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
        return True  # a URL or an anchor in the same page
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target:
        return True
    base = root if target.startswith("/") else os.path.join(root, os.path.dirname(rel))
    return os.path.exists(os.path.normpath(os.path.join(base, target.lstrip("/"))))


def check(root):
    """Returns a sorted list of (file, line, kind, reference) problems."""
    root = os.path.abspath(root)
    paths = path_pattern(top_level_folders(root))
    allowed = read_allowlist(root)
    problems = []
    for rel, text in text_files(root):
        if rel in (SELF, ALLOWLIST):
            continue  # the self-test plants broken references; the allowlist names them
        in_fence = False
        is_markdown = rel.endswith(".md")
        for number, line in enumerate(text.splitlines(), 1):
            for m in CONTRACT.finditer(line):
                problems.append((rel, number, "contract", m.group(0)))
            if is_markdown and FENCE.match(line):
                in_fence = not in_fence
                continue
            if is_markdown and not in_fence:
                for m in LINK.finditer(line):
                    if not link_resolves(root, rel, m.group(1)):
                        problems.append((rel, number, "link", m.group(1)))
                # Link targets are checked above; the path check reads the rest of the line.
                line = LINK.sub(lambda m: m.group(0).replace(m.group(1), " " * len(m.group(1))),
                                line)
            for m in paths.finditer(line):
                following = line[m.end():m.end() + 1]
                ref = check_path(root, m.group(1), following)
                if ref is not None and not os.path.exists(os.path.join(root, ref)):
                    problems.append((rel, number, "path", ref))
    return sorted(p for p in set(problems) if (p[0], p[3]) not in allowed)


def report(problems):
    for rel, number, kind, ref in problems:
        hint = " (not part of this repository: cite docs/)" if kind == "contract" else ""
        print(f"{rel}:{number}: {kind}: {ref}{hint}")
    print(f"{len(problems)} broken reference(s)" if problems else "all references resolve")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def self_test():
    d_name, s_name = CONTRACT_NAMES[0], CONTRACT_NAMES[1]
    tmp = tempfile.mkdtemp(prefix="divaudit-refs-")
    try:
        write(tmp, "README.md",
              "See [rules](docs/ok.md) and [missing](docs/missing.md#x), docs/ok.md,\n"
              "`common/gone.h`, `common/x.h`, `common/` and " + d_name + " \u00a74.\n"
              "Not checked: https://example.com/docs/nothing.md, /usr/share/docs/none.md,\n"
              "`tests/<folder>/<unit>_test.cc`, `common/x.{h,cc}`, scripts/demo,\n"
              "[web](https://x.y/z), <systemd/sd-daemon.h>.\n"
              "```cpp\nauto f = [&](int nothing_here) { return 0; };\n```\n")
        write(tmp, "docs/ok.md", "[up](../README.md) [anchor](#top) [gone](../nowhere/file.md)\n")
        write(tmp, "common/fake.cc", 'constexpr char kName[] = "common/made-up.toml";\n')
        write(tmp, ALLOWLIST, "common/fake.cc common/made-up.toml  # a made-up name\n")
        write(tmp, "common/x.h", "// see " + s_name + " and common/x.h\n")
        write(tmp, "build/junk.md", "[bad](nothing.md) " + d_name + "\n")
        write(tmp, "build-asan/junk.md", "[bad](nothing.md)\n")
        write(tmp, "common/node_modules/pkg/readme.md", "[bad](nothing.md)\n")
        write(tmp, ".cache/x/readme.md", "[bad](nothing.md)\n")
        with open(os.path.join(tmp, "common/blob.bin"), "wb") as fh:
            fh.write(b"\0" + d_name.encode())
        expected = [
            ("README.md", 1, "link", "docs/missing.md#x"),
            ("README.md", 2, "contract", d_name),
            ("README.md", 2, "path", "common/gone.h"),
            ("common/x.h", 1, "contract", s_name),
            ("docs/ok.md", 1, "link", "../nowhere/file.md"),
        ]
        got = check(tmp)
        if got != sorted(expected):
            print("self-test FAILED\n expected:", sorted(expected), "\n got:     ", got)
            return 1
        # The same tree with the problems fixed passes.
        write(tmp, "README.md", "See [rules](docs/ok.md), docs/ok.md, `common/x.h`.\n")
        write(tmp, "docs/ok.md", "[up](../README.md)\n")
        write(tmp, "common/x.h", "// see docs/ok.md\n")
        got = check(tmp)
        if got:
            print("self-test FAILED: a clean tree reported", got)
            return 1
        print("self-test ok: 5 planted broken references found, clean tree passes")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems = check(argv[1])
    report(problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
