#!/usr/bin/env python3
"""Packages editors/vscode as a .vsix without npm or vsce.

A .vsix is a zip holding `extension.vsixmanifest`, `[Content_Types].xml` and the extension's
files under `extension/`. The grammar is copied in from editors/etiquette.tmLanguage.json, the
one grammar the repository keeps.

Usage: python3 editors/package-vsix.py [OUTPUT]   (default: editors/etiquette.vsix)
"""
import json
import pathlib
import sys
import zipfile
from xml.sax.saxutils import escape

EDITORS = pathlib.Path(__file__).resolve().parent
SOURCE = EDITORS / "vscode"
FILES = ["package.json", "extension.js", "language-configuration.json", "README.md"]


def manifest(package):
    identity = escape(package["name"])
    publisher = escape(package["publisher"])
    return f"""<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="{identity}" Version="{escape(package["version"])}" Publisher="{publisher}" />
    <DisplayName>{escape(package["displayName"])}</DisplayName>
    <Description xml:space="preserve">{escape(package["description"])}</Description>
    <Categories>{escape(",".join(package["categories"]))}</Categories>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="{escape(package["engines"]["vscode"])}" />
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />
  </Assets>
</PackageManifest>
"""


CONTENT_TYPES = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".md" ContentType="text/markdown" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
"""


def main():
    output = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else EDITORS / "etiquette.vsix"
    package = json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))
    grammar = (EDITORS / "etiquette.tmLanguage.json").read_text(encoding="utf-8")
    json.loads(grammar)  # refuse to package a grammar that is not JSON
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as vsix:
        vsix.writestr("extension.vsixmanifest", manifest(package))
        vsix.writestr("[Content_Types].xml", CONTENT_TYPES)
        for name in FILES:
            vsix.write(SOURCE / name, f"extension/{name}")
        vsix.writestr("extension/syntaxes/etiquette.tmLanguage.json", grammar)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
