"""Loading the files of tools/ on their own, as the pure tests do: by file path,
never through the addon package, so that no Odoo import can sneak in."""

import importlib.util
import pathlib
import subprocess
import sys

TOOLS = pathlib.Path(__file__).resolve().parent.parent


def load_tool(name):
    """The module tools/<name>.py, loaded from its file."""
    spec = importlib.util.spec_from_file_location(
        f"dunning_{name}_under_test", TOOLS / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_without_odoo(name, expression):
    """Load tools/<name>.py as ``m`` in a bare interpreter where importing odoo
    fails, and print ``expression``; returns the finished process."""
    code = (
        "import sys, importlib.util, datetime\n"
        "sys.modules['odoo'] = None\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(TOOLS / name)!r}"
        " + '.py')\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"print({expression})\n"
    )
    return subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False
    )
