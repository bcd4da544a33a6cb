"""web/ as the package a frontend installs (`erp-comm-web`, docs/frontend.md "Installing the package").

`npm pack` must hold the client, the hooks and their TypeScript declarations and nothing else; the
tarball, installed into another directory as an application would, must import from Node through
its `exports`; and a strict TypeScript application of it (web/tests/package/consumer.tsx) must
compile, while one with type errors (web/tests/package/wrong.ts) must not, on exactly the lines
that are wrong. No server: these run npm, node and tsc only.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.browser.support import NODE, WEB, ensure_web_tooling

TSC = WEB / "node_modules" / ".bin" / "tsc"
CONSUMER_SOURCES = WEB / "tests" / "package"
# Entry point -> (module, declarations), as package.json's `exports` must map them.
ENTRY_POINTS = {
    "./client": ("client/index.js", "client/index.d.ts"),
    "./react": ("react/index.js", "react/index.d.ts"),
    "./react/compat": ("react/compat.js", "react/compat.d.ts"),
}
# A strict application: every check on, and the package's declarations checked too (no skipLibCheck).
STRICT = {
    "strict": True, "noEmit": True, "noUncheckedIndexedAccess": True, "exactOptionalPropertyTypes": True,
    "skipLibCheck": False, "target": "ES2022", "lib": ["ES2022", "DOM", "DOM.Iterable"], "jsx": "react-jsx",
    "types": [],
}
PROBE = """
import * as client from "erp-comm-web/client";
import * as react from "erp-comm-web/react";
import * as compat from "erp-comm-web/react/compat";

const { default: manifest } = await import("erp-comm-web/package.json", { with: { type: "json" } });
let deepImport = "imported";
try {
  await import("erp-comm-web/client/chat.js");
} catch (error) {
  deepImport = error.code;
}
const chat = new client.ChatClient({ baseUrl: "http://localhost:1", token: "t0ken" });
console.log(JSON.stringify({
  client: Object.keys(client), react: Object.keys(react), compat: Object.keys(compat), version: manifest.version, deepImport,
  status: chat.status, tick: react.messageStatus({ id: 1, is_read: true }), id: client.toId("7"),
  api: new client.RestApi({ baseUrl: "http://localhost:1/", token: "t0ken" }).baseUrl,
  hooks: [react.useChat, react.useNotifications, react.RealtimeProvider].map((f) => typeof f),
}));
"""


def run(args: list[str], *, cwd: Path, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command; fails the test with its output if it fails (and `check`)."""
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited with {result.returncode}:\n{(result.stdout + result.stderr)[-8000:]}",
                    pytrace=False)
    return result


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> tuple[Path, list[str]]:
    """`npm pack` of web/ into a temporary directory: the tarball and the files it holds."""
    destination = tmp_path_factory.mktemp("pack")
    result = run(["npm", "pack", "--json", "--pack-destination", str(destination)], cwd=WEB)
    [info] = json.loads(result.stdout)
    return destination / info["filename"], sorted(entry["path"] for entry in info["files"])


@pytest.fixture(scope="module")
def application(packed, tmp_path_factory) -> Path:
    """A directory that installed the tarball as an application does; React and its types, the
    package's (optional) peers, are the application's own: here web/'s copies."""
    ensure_web_tooling()
    tarball, _ = packed
    app = tmp_path_factory.mktemp("app")
    (app / "package.json").write_text(json.dumps({"name": "app", "private": True, "type": "module"}))
    run(["npm", "install", str(tarball), "--offline", "--no-audit", "--no-fund"], cwd=app)
    for peer in ("react", "@types/react"):
        if (WEB / "node_modules" / peer).is_dir():
            (app / "node_modules" / peer).parent.mkdir(parents=True, exist_ok=True)
            (app / "node_modules" / peer).symlink_to(WEB / "node_modules" / peer, target_is_directory=True)
    for source in CONSUMER_SOURCES.iterdir():
        shutil.copy(source, app / source.name)
    return app


def declared_values(declarations: Path) -> set[str]:
    """The runtime names a .d.ts declares: its classes, functions and constants, and re-exports."""
    text = declarations.read_text()
    names = set(re.findall(r"^export declare (?:abstract )?(?:class|function|const) (\w+)", text, re.M))
    for listed in re.findall(r"^export \{([^}]*)\} from ", text, re.M):
        names |= {name.strip() for name in listed.split(",") if name.strip()}
    return names


def test_the_tarball_holds_the_client_the_hooks_and_their_declarations_only(packed):
    _, files = packed
    modules = {path.relative_to(WEB).as_posix() for folder in ("client", "react") for path in (WEB / folder).glob("*.js")}
    declarations = {types for _, types in ENTRY_POINTS.values()}
    assert modules | declarations | {"package.json"} <= set(files)
    strays = [f for f in files if not re.fullmatch(r"(client|react)/[\w.-]+\.(js|d\.ts)|package\.json|README\.md", f)]
    assert strays == [], "only the client, the hooks and their declarations belong in the package"
    assert not [f for f in files if f.startswith(("tests/", "demo/", "node_modules/")) or f.endswith((".py", ".sh"))]


def test_the_packed_manifest_exports_every_entry_point_with_its_types(packed):
    tarball, files = packed
    with tarfile.open(tarball) as archive:
        packed_manifest = archive.extractfile("package/package.json")
        assert packed_manifest is not None
        manifest = json.load(packed_manifest)
    assert manifest["name"] == "erp-comm-web"
    assert not manifest.get("dependencies"), "the client has no dependencies; React is an optional peer"
    assert manifest["peerDependenciesMeta"]["react"]["optional"] is True
    for entry, (module, types) in ENTRY_POINTS.items():
        conditions = manifest["exports"][entry]
        # TypeScript takes the first condition that matches: `types` must come before `default`.
        assert list(conditions) == ["types", "default"], conditions
        assert conditions == {"types": f"./{types}", "default": f"./{module}"}
    # Any other module entry point is typed the same way.
    untyped = [entry for entry, conditions in manifest["exports"].items()
               if entry != "./package.json" and (not isinstance(conditions, dict) or next(iter(conditions)) != "types")]
    assert untyped == [], "every module entry point has a `types` condition, first"
    targets = [manifest["types"], *(t for c in manifest["exports"].values() for t in (c.values() if isinstance(c, dict) else [c]))]
    missing = [target for target in targets if target.removeprefix("./") not in files]
    assert missing == [], "every export resolves to a file in the tarball"


@pytest.mark.timeout(900)
def test_the_installed_package_imports_from_node_through_its_exports(application):
    installed = application / "node_modules" / "erp-comm-web"
    assert installed.is_dir() and not installed.is_symlink(), "installed from the tarball, not linked to web/"
    assert not (installed / "tests").exists() and not (installed / "demo").exists()
    (application / "probe.mjs").write_text(PROBE)
    probe = json.loads(run([*NODE, "probe.mjs"], cwd=application).stdout)
    assert probe["version"] == json.loads((WEB / "package.json").read_text())["version"]
    assert probe["deepImport"] == "ERR_PACKAGE_PATH_NOT_EXPORTED", "only the entry points are public"
    assert (probe["status"], probe["tick"], probe["id"], probe["api"]) == ("idle", "read", 7, "http://localhost:1")
    assert probe["hooks"] == ["function"] * 3
    # Every runtime export is declared for TypeScript, and every declared value exists.
    assert set(probe["client"]) == declared_values(installed / "client" / "index.d.ts")
    assert set(probe["react"]) == declared_values(installed / "react" / "index.d.ts")
    assert set(probe["compat"]) == declared_values(installed / "react" / "compat.d.ts")


def compile_with_tsc(application: Path, source: str, *, module: str, resolution: str) -> subprocess.CompletedProcess:
    """`tsc --noEmit` (strict) on one file of the application, against the installed package."""
    if not TSC.exists():
        pytest.skip("TypeScript is not installed in web/node_modules (web/package.json's devDependencies)")
    config = application / f"tsconfig.{Path(source).stem}.{resolution.lower()}.json"
    config.write_text(json.dumps({
        "compilerOptions": {**STRICT, "module": module, "moduleResolution": resolution}, "files": [source],
    }))
    return run([str(TSC), "-p", config.name, "--pretty", "false", "--listFiles"], cwd=application, check=False)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("module, resolution", [("NodeNext", "NodeNext"), ("ESNext", "Bundler")])
def test_a_strict_typescript_application_compiles_against_the_package(application, module, resolution):
    result = compile_with_tsc(application, "consumer.tsx", module=module, resolution=resolution)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"tsc failed:\n{output[-8000:]}"
    # The declarations it used are the installed package's, through `exports`.
    used = {(application / line.strip()).resolve() for line in result.stdout.splitlines() if line.strip()}
    for _, types in ENTRY_POINTS.values():
        assert (application / "node_modules" / "erp-comm-web" / types).resolve() in used


@pytest.mark.timeout(900)
def test_type_errors_in_an_application_fail_the_compilation_where_they_are(application):
    result = compile_with_tsc(application, "wrong.ts", module="NodeNext", resolution="NodeNext")
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"tsc accepted the wrong file:\n{output}"
    errors = re.findall(r"^(\S+)\((\d+),\d+\): error (TS\d+)", output, re.M)
    assert {file for file, _, _ in errors} == {"wrong.ts"}, output
    source = (application / "wrong.ts").read_text().splitlines()
    expected = {n for n, line in enumerate(source, 1) if re.search(r"^\s*[^\s*/].*//\s*error here:", line)}
    assert len(expected) >= 5
    assert {int(line) for _, line, _ in errors} == expected, output
