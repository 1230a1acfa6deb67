#!/usr/bin/env python3
"""Fails when a field of Settings (src/config/settings.h) is read nowhere outside src/config/.

A setting is only honoured if something reads what LoadSettings stores; the settings registry test
checks that LoadSettings reads every implemented setting, and this checks the next step.
Usage: tools/check-settings-fields.py [repository root]
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
header = (root / "src/config/settings.h").read_text()
body = re.search(r"struct Settings \{(.*?)\n\};", header, re.S)
if not body:
    sys.exit("check-settings-fields: struct Settings not found in src/config/settings.h")
fields = re.findall(r"^\s+[\w:<>, ]+?\s+(\w+)(?:\s*=[^;]*|\{[^;]*\})?;", body.group(1), re.M)
sources = [p for p in (root / "src").rglob("*") if p.suffix in (".cc", ".h")
           and "config" not in p.relative_to(root / "src").parts[:1]]
texts = [p.read_text() for p in sources]
unused = [f for f in fields if not any(re.search(r"\b" + f + r"\b", t) for t in texts)]
for field in unused:
    print(f"src/config/settings.h: Settings::{field} is read nowhere outside src/config/; "
          "honour it or remove it (and declare its setting refused or warned)")
sys.exit(1 if unused else 0)
