"""RELEASE_ID: which release of the code is running, derived from what was deployed.

It goes into every ETag and every cached page's key, so hosts (and workers) that run the
same release share the cache and answer the same ETags, and a new release never serves a
page an old one rendered. In order:

1. ``RELEASE_ID`` in the environment (a deploy tool's version or commit);
2. the file ``RELEASE`` at the top of the checkout, written when an image is built
   (the Dockerfile: the build argument RELEASE_ID, else the content digest below);
3. the git commit checked out (read from ``.git`` directly, so no git program is needed;
   a worktree's ``.git`` file and packed refs are followed);
4. a digest of the code's content (every file under ``alliance/`` and ``config/`` but
   caches, by path and bytes): the same for two clones of one commit, whatever their
   files' times, and unchanged by writing ``__pycache__``.

``python -m config.release`` prints it; ``python -m config.release write`` writes RELEASE.
"""

import hashlib
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RELEASE_FILE = BASE_DIR / "RELEASE"
CODE = ("alliance", "config")
SKIPPED = {"__pycache__", ".pytest_cache"}


def git_commit(base: Path = BASE_DIR) -> str | None:
    """The commit HEAD names, from the files git keeps, or None outside a checkout."""
    git = base / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: /path/to/main/.git/worktrees/name"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head  # detached
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").exists():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for folder in (git, common):
            if (folder / ref).exists():
                return (folder / ref).read_text().strip()
        packed = common / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0]
    except (OSError, IndexError):
        return None
    return None


def content_digest(base: Path = BASE_DIR) -> str:
    digest = hashlib.sha256()
    for top in CODE:
        for path in sorted((base / top).rglob("*")):
            if path.is_file() and not SKIPPED & set(path.parts) and path.suffix != ".pyc":
                digest.update(path.relative_to(base).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return "content-" + digest.hexdigest()[:16]


def release_id(base: Path = BASE_DIR) -> str:
    if os.environ.get("RELEASE_ID"):
        return os.environ["RELEASE_ID"]
    release_file = base / "RELEASE"
    if release_file.exists() and release_file.read_text().strip():
        return release_file.read_text().strip()
    commit = git_commit(base)
    return commit[:12] if commit else content_digest(base)


if __name__ == "__main__":
    value = release_id()
    if sys.argv[1:] == ["write"]:
        RELEASE_FILE.write_text(value + "\n")
    print(value)
