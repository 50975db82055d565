"""The documentation stands alone: README.md, CONTRIBUTING.md and docs/
link only to files inside the repository, every relative link resolves,
and every `#anchor` names a heading of its page.  A user reads the
repository without anything beside it.  Needs no Kafka or Redis.

Run: /usr/bin/python3 -m pytest tests/integration/test_docs.py
"""

import os
import re

ROOT = os.path.realpath(os.environ.get(
    "FS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def doc_files():
    files = [os.path.join(ROOT, f) for f in ("README.md", "CONTRIBUTING.md")]
    docs = os.path.join(ROOT, "docs")
    files += sorted(os.path.join(docs, f) for f in os.listdir(docs) if f.endswith(".md"))
    return [f for f in files if os.path.exists(f)]


def anchors(path):
    """GitHub's anchors of the headings of a markdown file."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in CODE.sub("", f.read()).splitlines():
            m = re.match(r"#+\s+(.*)", line)
            if m:
                text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
                out.add(text.replace(" ", "-"))
    return out


def links(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Links inside code spans or blocks are examples, not links.
    return LINK.findall(CODE.sub("", text))


def test_docs_exist():
    names = [os.path.relpath(f, ROOT) for f in doc_files()]
    assert "README.md" in names and os.path.join("docs", "README.md") in names, names


def test_links_stay_inside_the_repository():
    bad = []
    for path in doc_files():
        for target in links(path):
            if target.startswith("#"):
                dest, frag = path, target[1:]
            elif re.match(r"[a-z][a-z0-9+.-]*:", target):
                bad.append(f"{os.path.relpath(path, ROOT)}: {target}: links outside the repository")
                continue
            else:
                rel, _, frag = target.partition("#")
                dest = os.path.realpath(os.path.join(os.path.dirname(path), rel))
                if not (dest == ROOT or dest.startswith(ROOT + os.sep)):
                    bad.append(f"{os.path.relpath(path, ROOT)}: {target}: outside the repository")
                    continue
                if not os.path.exists(dest):
                    bad.append(f"{os.path.relpath(path, ROOT)}: {target}: no such file")
                    continue
            if frag and dest.endswith(".md") and frag not in anchors(dest):
                bad.append(f"{os.path.relpath(path, ROOT)}: {target}: no such heading")
    assert not bad, "\n".join(bad)


def test_no_reference_to_documents_outside_the_repository():
    """Prose may name a page without linking it; it must still be one of ours."""
    bad = []
    for path in doc_files():
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if re.search(r"\.\./shared|SPEC\.md|SPEC\s§", line):
                    bad.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}")
                for page in re.findall(r"\bdocs/([\w.-]+\.md)\b", line):
                    if not os.path.exists(os.path.join(ROOT, "docs", page)):
                        bad.append(f"{os.path.relpath(path, ROOT)}:{n}: docs/{page} does not exist")
    assert not bad, "\n".join(bad)
