#!/usr/bin/env python3
"""Rename the project: every spelling of its current name, in file contents and paths.

Usage (from anywhere in the repository):
    python3 dev/rename.py NEW_NAME             rename, format, print what is left and the time
    python3 dev/rename.py --dry-run NEW_NAME   list what would change, write nothing
    python3 dev/rename.py --current            print the current name

The current name is read from the workspace: the common leading words of the workspace
members' package names (`<name>-core`, `<name>-adapters`, ...), so a renamed copy renames
again. NEW_NAME is lower-case words joined by single hyphens (`acme-flow`); each occurrence of
the current name becomes the spelling its context needs:

    kebab   acme-flow    crates, binaries, resource and bucket names, paths, prose
    snake   acme_flow    Rust paths (`acme_flow_core`), the metrics field, identifiers
    SCREAM  ACME_FLOW    the environment prefix (`ACME_FLOW_RENDITIONS`)
    Pascal  AcmeFlow     any other mix of cases

The files are the repository's (git ls-files: tracked, plus untracked ones that are not
ignored; outside git, every file but .git/ and target/). No list of files is kept here: the
spellings drive it. A line containing the marker `rename:keep` is left alone and listed, as is
a binary file that contains the name. Afterwards Cargo.lock files are put back in Cargo's order
and `cargo fmt` and `terraform fmt` run over what changed (names of other lengths move imports
and aligned `=`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEEP_MARKER = "rename:keep"
SKIPPED_DIRS = {".git", "target", "node_modules", ".terraform"}

# Rust keywords (strict, reserved and weak, all editions): Cargo refuses them as package names
# and they cannot be identifiers.
RUST_KEYWORDS = set(
    "as async await break const continue crate dyn else enum extern false fn for gen if impl in "
    "let loop match mod move mut pub ref return self Self static struct super trait true try type "
    "unsafe use where while abstract become box do final macro override priv typeof unsized virtual "
    "yield union macro_rules raw safe".split()
)
# The standard library's crates (Cargo refuses them) and names Windows cannot give a file.
RESERVED_NAMES = {"alloc", "core", "std", "proc_macro", "proc-macro", "test", "con", "prn", "aux", "nul"} | {
    f"{device}{n}" for device in ("com", "lpt") for n in range(1, 10)
}
# Bucket names start with the name: S3 refuses these prefixes.
S3_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# Used when infra/variables.tf has no validation of var.name to read (it should).
FALLBACK_NAME_RULE = r"^[a-z][a-z0-9-]{0,27}[a-z0-9]$"
NAME_SHAPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RenameError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Spellings
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Name:
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Name":
        return cls(tuple(text.split("-")))

    @property
    def kebab(self) -> str:
        return "-".join(self.words)

    @property
    def snake(self) -> str:
        return "_".join(self.words)

    @property
    def scream(self) -> str:
        return self.snake.upper()

    @property
    def pascal(self) -> str:
        return "".join(word.capitalize() for word in self.words)

    def loose_pattern(self) -> re.Pattern[str]:
        """Any spelling anywhere, even inside another word: what must be gone afterwards."""
        return re.compile("[-_]?".join(re.escape(word) for word in self.words), re.IGNORECASE)


class Speller:
    """Replaces each occurrence of `old` (any case, words joined by `-`, `_` or nothing) with
    the spelling of `new` its context needs. Occurrences inside another word are left."""

    def __init__(self, old: Name, new: Name):
        self.old, self.new = old, new
        self.pattern = old.loose_pattern()
        self.counts: dict[str, int] = {}

    def spelling(self, text: str, start: int, end: int) -> str | None:
        match = text[start:end]
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        letters = [c for c in match if c.isalpha()]
        upper = all(c.isupper() for c in letters)
        lower = all(c.islower() for c in letters)
        # Word boundaries: camelCase and SCREAMING compounds count as boundaries where the case says so.
        if before.isalnum() and not (match[0].isupper() and (before.islower() or before.isdigit()) and not upper):
            return None
        if after.isdigit() or (after.isalpha() and (after.islower() or upper)):
            return None
        separators = [c for c in match if c in "-_"]
        if upper:
            return self.count("SCREAM", self.new.scream.replace("_", separators[0]) if separators else self.new.scream)
        if lower:
            if separators:
                kind = "snake" if separators[0] == "_" else "kebab"
            elif after == "_" or text[end : end + 2] == "::" or (before == "_" and after != "-"):
                kind = "snake"
            else:
                kind = "kebab"
            return self.count(kind, self.new.snake if kind == "snake" else self.new.kebab)
        words = [w.capitalize() for w in self.new.words]
        if not match[0].isupper():
            words[0] = words[0].lower()
        return self.count("Pascal", (separators[0] if separators else "").join(words))

    def count(self, kind: str, value: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return value

    def replace(self, text: str) -> tuple[str, int]:
        changed = 0
        out, last = [], 0
        for match in self.pattern.finditer(text):
            value = self.spelling(text, match.start(), match.end())
            if value is None:
                continue
            out.append(text[last : match.start()])
            out.append(value)
            last = match.end()
            changed += 1
        out.append(text[last:])
        return "".join(out), changed

    def replace_lines(self, text: str) -> tuple[str, int]:
        """Like replace, but a line with the keep marker stays as it is."""
        if KEEP_MARKER not in text:
            return self.replace(text)
        total, lines = 0, text.splitlines(keepends=True)
        for index, line in enumerate(lines):
            if KEEP_MARKER not in line:
                lines[index], changed = self.replace(line)
                total += changed
        return "".join(lines), total


# ---------------------------------------------------------------------------------------------
# The repository
# ---------------------------------------------------------------------------------------------
def in_git(root: Path) -> bool:
    return shutil.which("git") is not None and (root / ".git").exists()


def repository_files(root: Path) -> tuple[list[str], set[str]]:
    """(every file, the tracked ones)."""
    if in_git(root):
        def ls(*args: str) -> list[str]:
            out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *args], check=True, capture_output=True).stdout
            return [name for name in out.decode().split("\0") if name]

        tracked = set(ls("--cached"))
        names = sorted(tracked | set(ls("--others", "--exclude-standard")))
        return [n for n in names if (root / n).is_file() and not (root / n).is_symlink()], tracked
    names = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for file in files:
            path = Path(directory, file)
            if path.is_file() and not path.is_symlink():
                names.append(path.relative_to(root).as_posix())
    return sorted(names), set()


def manifest(root: Path, relative: str) -> dict:
    with open(root / relative, "rb") as handle:
        return tomllib.load(handle)


def workspace_packages(root: Path) -> list[str]:
    workspace = manifest(root, "Cargo.toml").get("workspace")
    if workspace is None:
        raise RenameError("Cargo.toml has no [workspace]: run this from the project's repository")
    names = []
    for member in workspace.get("members", []):
        for directory in sorted(root.glob(member)):
            if (directory / "Cargo.toml").is_file():
                package = manifest(root, (directory / "Cargo.toml").relative_to(root).as_posix()).get("package", {})
                if "name" in package:
                    names.append(package["name"])
    return names


def current_name(root: Path) -> Name:
    """The leading words most workspace members share (`x` of `x-core`, `x-adapters`, ...; the
    longer of equally shared ones), so a member named otherwise does not hide it."""
    packages = workspace_packages(root)
    shared: dict[tuple[str, ...], int] = {}
    for name in packages:
        words = tuple(name.replace("_", "-").split("-"))
        for length in range(1, len(words)):
            shared[words[:length]] = shared.get(words[:length], 0) + 1
    if not shared or max(shared.values()) < 2:
        raise RenameError(f"cannot tell the project's name: no two workspace packages share a <name>- prefix ({packages})")
    words = max(shared, key=lambda prefix: (shared[prefix], len(prefix)))
    return Name(words)


def dependency_crates(root: Path, files: list[str]) -> set[str]:
    """Every registry (or git) package of every Cargo.lock, `_` read as `-` as Cargo does."""
    crates = set()
    for name in files:
        if Path(name).name == "Cargo.lock":
            for package in manifest(root, name).get("package", []):
                if "source" in package:
                    crates.add(package["name"].replace("_", "-"))
    return crates


def own_packages(root: Path, files: list[str]) -> list[str]:
    names = []
    for name in files:
        if Path(name).name == "Cargo.toml":
            package = manifest(root, name).get("package", {})
            if isinstance(package.get("name"), str):
                names.append(package["name"])
    return names


def infra_name_rule(root: Path) -> tuple[str, str]:
    """The regex infra/variables.tf validates var.name with (bucket names derive from it)."""
    variables = root / "infra" / "variables.tf"
    if variables.is_file():
        block = re.search(r'variable\s+"name"\s*\{(.*?)\n\}', variables.read_text(), re.DOTALL)
        rule = block and re.search(r'regex\("((?:[^"\\]|\\.)*)",\s*var\.name\)', block.group(1))
        if rule:
            message = re.search(r'error_message\s*=\s*"((?:[^"\\]|\\.)*)"', block.group(1))
            said = f": {message.group(1)}" if message else ""
            return rule.group(1).replace("\\\\", "\\"), f"infra/variables.tf's validation of var.name{said}"
    return FALLBACK_NAME_RULE, "2-29 characters: the longest name whose bucket names S3 takes"


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def refusals(new_text: str, old: Name, root: Path, files: list[str], texts: dict[str, str]) -> list[str]:
    """Every rule NEW_NAME breaks, each as a sentence naming the rule."""
    problems = []
    if not NAME_SHAPE.match(new_text):
        problems.append(
            "shape: lower-case letters and digits, words joined by single hyphens, starting with a letter "
            "(Cargo's package-name characters, S3 bucket names, and the one-to-one mapping to snake_case and "
            "SCREAMING_CASE); for example acme-flow"
            + (f" (write {new_text.replace('_', '-').lower()}: the snake_case spelling is derived)" if "_" in new_text else "")
        )
    scream = new_text.upper().replace("-", "_")
    if not re.match(r"^[A-Z][A-Z0-9_]*$", scream):
        problems.append(f"environment variables: the prefix {scream}_ must start with a letter and hold only A-Z, 0-9 and _")
    rule, rule_name = infra_name_rule(root)
    if not re.match(rule, new_text):
        problems.append(f"Terraform/S3 bucket names (<name>-input-..., <name>-output-...): {rule_name} ({rule})")
    if new_text.startswith(S3_FORBIDDEN_PREFIXES):
        problems.append(f"S3 bucket naming: a bucket name may not start with {', '.join(S3_FORBIDDEN_PREFIXES)}")
    if not problems:  # the checks below assume the shape
        new = Name.parse(new_text)
        if new == old:
            return [f"the project is already named {old.kebab}"]
        if new.snake in RUST_KEYWORDS or new.kebab in RUST_KEYWORDS:
            problems.append(f"Rust keyword: {new.snake} cannot be a crate name or an identifier")
        if new.kebab in RESERVED_NAMES or new.snake in RESERVED_NAMES:
            problems.append(f"Cargo: {new.kebab} is a standard-library crate or a name Windows reserves")
        speller = Speller(old, new)
        renamed = {speller.replace(name)[0].replace("_", "-") for name in own_packages(root, files)} | {new.kebab}
        taken = sorted(renamed & dependency_crates(root, files))
        if taken:
            problems.append(f"crate names: {', '.join(taken)} would be the name of a dependency of the workspace (Cargo.lock)")
        spotter = Speller(new, old)
        clashes = [
            f"{name}:{number}"
            for name, text in texts.items()
            if (root / name).resolve() != Path(__file__).resolve() and spotter.pattern.search(text)
            for number, line in enumerate(text.splitlines(), 1)
            if KEEP_MARKER not in line and spotter.replace(line)[1]
        ]
        if clashes:
            problems.append(
                f"already in use: {new.kebab} (in some spelling) occurs on {len(clashes)} lines, e.g. {', '.join(clashes[:3])}; "
                f"the project's name must be unique in the repository (this script's examples aside), or a later rename could not tell it apart "
                f"(a line that means another thing by it can carry the marker {KEEP_MARKER})"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Cargo.lock order
# ---------------------------------------------------------------------------------------------
def sort_cargo_lock(text: str) -> str:
    """Packages ordered by name and each dependency list by name, as Cargo writes them; a stable
    sort keeps Cargo's own order between versions of one crate."""
    head, *packages = text.split("\n[[package]]\n")
    tail = ""
    if packages:
        last = packages[-1]
        other = re.search(r"\n\n\[(?!\[package\]\])", last)
        if other:
            packages[-1], tail = last[: other.start()], last[other.start() :]
        trailing = "\n" if packages[-1].endswith("\n") else ""
        packages = [block.rstrip("\n") for block in packages]

        def by_name(entry: str) -> str:
            return entry.strip().strip('",').split(" ")[0]

        def sort_lists(block: str) -> str:
            def sort_list(match: re.Match[str]) -> str:
                entries = match.group(2).splitlines(keepends=True)
                return match.group(1) + "".join(sorted(entries, key=by_name)) + match.group(3)

            return re.sub(r"(^[a-z-]+ = \[\n)((?: .*\n)+)(\])", sort_list, block, flags=re.MULTILINE)

        packages = sorted((sort_lists(block) for block in packages), key=lambda b: re.search(r'^name = "([^"]+)"', b, re.M).group(1))
        return head + "".join(f"\n[[package]]\n{block}\n" for block in packages).rstrip("\n") + trailing + tail
    return text


# ---------------------------------------------------------------------------------------------
# The rename
# ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    contents: dict[str, tuple[str, int]] = field(default_factory=dict)  # file -> (new text, replacements)
    moves: dict[str, str] = field(default_factory=dict)  # old path -> new path
    kept: list[str] = field(default_factory=list)  # deliberate leftovers, "path:line: text"
    missed: list[str] = field(default_factory=list)  # leftovers no rule explains


def read_texts(root: Path, files: list[str]) -> tuple[dict[str, str], list[str]]:
    texts, binaries = {}, []
    for name in files:
        data = (root / name).read_bytes()
        try:
            if b"\0" in data:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            binaries.append(name)
    return texts, binaries


def plan_rename(root: Path, speller: Speller, files: list[str], texts: dict[str, str], binaries: list[str]) -> Plan:
    plan = Plan()
    loose = speller.old.loose_pattern()
    new_spellings = Speller(speller.new, speller.old)

    def leftover(line: str) -> bool:
        """The old name is still there, apart from inside the new name (acme-flow -> acme-flow-2)."""
        return bool(loose.search(new_spellings.pattern.sub(" ", line)))

    for name in files:
        new_name = "/".join(speller.replace(part)[0] for part in name.split("/"))
        if new_name != name:
            plan.moves[name] = new_name
        if name in texts:
            text, count = speller.replace_lines(texts[name])
            if Path(name).name == "Cargo.lock" and count:
                text = sort_cargo_lock(text)
            if count:
                plan.contents[name] = (text, count)
            for number, line in enumerate(text.splitlines(), 1):
                if leftover(line):
                    entry = f"{new_name}:{number}: {line.strip()}"
                    (plan.kept if KEEP_MARKER in line else plan.missed).append(entry)
        elif leftover((root / name).read_bytes().decode("latin-1")):
            plan.kept.append(f"{new_name}: binary file, not edited")
        if leftover(new_name):
            plan.missed.append(f"{new_name}: path")
    return plan


def apply_plan(root: Path, plan: Plan, tracked: set[str]) -> None:
    for name, (text, _) in plan.contents.items():
        path = root / name
        mode = path.stat().st_mode
        path.write_text(text, encoding="utf-8", newline="")
        os.chmod(path, mode)
    for old, new in plan.moves.items():
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        if old in tracked:
            subprocess.run(["git", "-C", str(root), "mv", old, new], check=True)
        else:
            os.rename(root / old, root / new)
        parent = (root / old).parent
        while parent != root and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def run_formatters(root: Path, changed: list[str]) -> list[str]:
    """cargo fmt per Cargo workspace and terraform fmt on the changed Terraform files; returns
    the formatters that could not run (said loudly by the caller)."""
    missing = []
    if any(name.endswith(".rs") for name in changed):
        workspaces = [
            name for name in repository_files(root)[0] if Path(name).name == "Cargo.toml" and "workspace" in manifest(root, name)
        ]
        if shutil.which("cargo") is None:
            missing.append("cargo fmt --all (cargo is not on PATH)")
        for name in workspaces:
            result = subprocess.run(["cargo", "fmt", "--all", "--manifest-path", str(root / name)], capture_output=True, text=True)
            if result.returncode != 0:
                missing.append(f"cargo fmt --all --manifest-path {name} failed: {result.stderr.strip()}")
    terraform_files = [name for name in changed if name.endswith((".tf", ".tftest.hcl", ".tfvars"))]
    if terraform_files:
        if shutil.which("terraform") is None:
            missing.append("terraform fmt -recursive (terraform is not on PATH)")
        else:
            env = dict(os.environ)
            if env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).is_file():
                env["TF_CLI_CONFIG_FILE"] = os.devnull  # a missing file only makes Terraform warn
            for directory in sorted({str(Path(name).parent) for name in terraform_files}):
                subprocess.run(["terraform", "fmt", "-list=false", str(root / directory)], check=True, env=env)
    return missing


def main(argv: list[str]) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("new_name", nargs="?", metavar="NEW_NAME", help="lower-case words joined by hyphens, e.g. acme-flow")
    parser.add_argument("--dry-run", action="store_true", help="list what would change and write nothing")
    parser.add_argument("--current", action="store_true", help="print the current name and exit")
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        old = current_name(root)
    except RenameError as error:
        print(f"rename: {error}", file=sys.stderr)
        return 2
    if args.current:
        print(old.kebab)
        return 0
    if not args.new_name:
        parser.error("NEW_NAME is required")

    files, tracked = repository_files(root)
    texts, binaries = read_texts(root, files)
    problems = refusals(args.new_name, old, root, files, texts)
    if problems:
        print(f"rename: refusing {args.new_name!r}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2

    new = Name.parse(args.new_name)
    speller = Speller(old, new)
    plan = plan_rename(root, speller, files, texts, binaries)
    print(f"{'dry run: ' if args.dry_run else ''}renaming {old.kebab} -> {new.kebab} in {root}")
    for kind, before, after in (
        ("kebab", old.kebab, new.kebab),
        ("snake", old.snake, new.snake),
        ("SCREAM", old.scream, new.scream),
        ("Pascal", old.pascal, new.pascal),
    ):
        print(f"  {kind:<7}{before} -> {after}: {speller.counts.get(kind, 0)} occurrences")
    if args.dry_run:
        for name, (_, count) in sorted(plan.contents.items()):
            print(f"  edit   {name} ({count})")
        for before, after in sorted(plan.moves.items()):
            print(f"  move   {before} -> {after}")
    else:
        apply_plan(root, plan, tracked)
        changed = sorted({plan.moves.get(name, name) for name in plan.contents} | set(plan.moves.values()))
        for problem in run_formatters(root, changed):
            print(f"rename: NOT FORMATTED: {problem}: run it yourself before committing", file=sys.stderr)
    total = sum(count for _, count in plan.contents.values())
    print(f"{total} replacements in {len(plan.contents)} files, {len(plan.moves)} paths renamed")
    print(f"allow-list: {len(plan.kept)} occurrences of {old.kebab} left on purpose")
    for entry in plan.kept:
        print(f"  kept: {entry}")
    status = 0
    if plan.missed:
        print(f"rename: {len(plan.missed)} occurrences of {old.kebab} left that no rule explains:", file=sys.stderr)
        for entry in plan.missed:
            print(f"  missed: {entry}", file=sys.stderr)
        status = 1
    print(f"rename took {time.monotonic() - started:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
