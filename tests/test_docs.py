"""The documentation stays true: the paths it names exist, every environment variable
the settings read is in docs/configuration.md, every URL in docs/api.md, every command
in docs/operations.md, and the README stays short."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS = ROOT / "config" / "settings"

# The first segment of a path in this repository. Anything else in backticks
# (`text/csv`, `var/db.sqlite3`, `/api/v1/check`) is not a file of ours.
REPO_DIRS = frozenset(
    {".ci", "bench", "clients", "config", "devtools", "docs", "optout", "static", "templates"}
    | {"tests"}
)
REPO_FILES = frozenset(
    {"Makefile", "Procfile", "Procfile.dev", "manage.py", "pyproject.toml", "README.md"}
    | {"requirements.txt", "requirements-dev.txt", ".python-version"}
)
# Paths the docs name as examples of what a deployment or a run makes, not files here.
EXAMPLES = ("var/", "/data/", "tests/e2e/node_modules/")
# Placeholders: `templates/emails/<kind>-subject.txt`, `optout_photo_dataset_{N}`.
PLACEHOLDER = re.compile(r"[<>{}*…]|\.\.\.")

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A script run in a fenced command: `.venv/bin/python bench/lookup_bench.py --keep`.
COMMAND_SCRIPT = re.compile(
    r"(?<![\w/.-])((?:bench|optout|config|devtools|tests|clients)/[\w/.-]+\.py)"
)

# How the settings read the environment: env.str("NAME", ...), required("NAME", ...).
ENV_READ = re.compile(
    r"\b(?:env\.(?:str|bool|int|float|list|tuple|dict|json|url|db_url|cache_url|path)|env|required)"
    r"\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
)
PROCFILE_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def repo_path(text: str) -> str | None:
    """`text` as a repository path when it names one, else None."""
    text = text.strip().split("#", 1)[0].split(":", 1)[0]
    if not text or " " in text or PLACEHOLDER.search(text) or text.startswith(EXAMPLES):
        return None
    if text in REPO_FILES:
        return text
    first = text.split("/", 1)[0]
    if "/" in text and first in REPO_DIRS:
        return text.rstrip("/")
    return None


def named_paths(document: Path) -> set[str]:
    """Repository paths a document names: in inline code, in links, and the scripts its
    fenced commands run."""
    text = document.read_text()
    fenced = "\n".join(FENCE.findall(text))
    prose = FENCE.sub("", text)
    named = {path for code in INLINE_CODE.findall(prose) if (path := repo_path(code))}
    named |= set(COMMAND_SCRIPT.findall(fenced))
    for target in LINK.findall(prose):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        target = target.split("#", 1)[0]
        resolved = (document.parent / target).resolve()
        named.add(str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else target)
    return named


def settings_variables() -> set[str]:
    names = {name for path in SETTINGS.glob("*.py") for name in ENV_READ.findall(path.read_text())}
    procfiles = [ROOT / "Procfile", ROOT / "Procfile.dev"]
    return names | {name for path in procfiles for name in PROCFILE_VAR.findall(path.read_text())}


def test_every_path_the_readme_and_the_docs_name_exists() -> None:
    missing = [
        f"{document.relative_to(ROOT)}: {path}"
        for document in documents()
        for path in sorted(named_paths(document))
        if not (ROOT / path).exists()
    ]
    assert not missing, "These paths are named in the docs but do not exist:\n" + "\n".join(missing)


def test_the_path_finder_sees_code_links_and_commands_but_not_urls_or_examples() -> None:
    assert repo_path("optout/queue.py") == "optout/queue.py"
    assert repo_path("optout/web/") == "optout/web"
    assert repo_path("Procfile") == "Procfile"
    assert repo_path("text/csv") is None
    assert repo_path("/api/v1/check") is None
    assert repo_path("var/db.sqlite3") is None
    assert repo_path("templates/emails/<kind>-subject.txt") is None
    assert COMMAND_SCRIPT.findall(".venv/bin/python bench/lookup_bench.py --keep") == [
        "bench/lookup_bench.py"
    ]


def test_every_environment_variable_the_settings_read_is_in_the_configuration_doc() -> None:
    variables = settings_variables()
    # The parser must keep finding them: a settings rewrite that hides the reads
    # from this regex would otherwise pass with nothing checked.
    assert {"DEBUG", "SECRET_KEY", "OWNER_KEY_SECRET", "DATABASE_URL", "WEB_CONCURRENCY"} <= (
        variables
    )
    configuration = (DOCS / "configuration.md").read_text()
    undocumented = sorted(name for name in variables if f"`{name}`" not in configuration)
    assert not undocumented, f"Add these to docs/configuration.md: {', '.join(undocumented)}"


def test_every_url_the_app_answers_is_in_the_api_doc() -> None:
    routes = re.findall(r'path\(\s*"([^"]*)"', (ROOT / "config" / "urls.py").read_text())
    assert {"healthz", "api/v1/check"} <= set(routes)
    api = (DOCS / "api.md").read_text()
    # `datasets/<slug:slug>/removals.<str:fmt>` is documented as `/datasets/<slug>/…`.
    undocumented = [
        route
        for route in routes
        if "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route).split("<")[0] not in api
    ]
    assert not undocumented, f"Add these URLs to docs/api.md: {', '.join(undocumented)}"


def test_every_management_command_is_in_the_operations_doc() -> None:
    commands = {
        path.stem
        for path in ROOT.glob("*/management/commands/*.py")
        if not path.stem.startswith("_")
    }
    assert {"import_dataset", "load_demo"} <= commands
    operations = (DOCS / "operations.md").read_text()
    undocumented = sorted(name for name in commands if f"| `{name}" not in operations)
    assert not undocumented, f"Add these commands to docs/operations.md: {undocumented}"


def test_the_readme_is_under_200_lines() -> None:
    lines = README.read_text().count("\n")
    assert lines < 200, f"README.md has {lines} lines; move the detail to docs/."


def test_the_readme_links_every_page_in_docs() -> None:
    linked = named_paths(README)
    unlinked = sorted(
        str(page.relative_to(ROOT))
        for page in DOCS.glob("*.md")
        if str(page.relative_to(ROOT)) not in linked
    )
    assert not unlinked, f"Link these from README's 'Where to read on': {', '.join(unlinked)}"
