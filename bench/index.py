#!/usr/bin/env python3
"""Build the mirror's static index from a folder of wheels (standard library only).

    MIRROR/files/NAME.whl            the wheels (bench/setup.sh downloads them with pip)
    MIRROR/files/NAME.whl.metadata   the wheel's METADATA, served as PEP 658/714 metadata
    MIRROR/simple/index.html|json    the project list
    MIRROR/simple/PROJECT/index.html one link per file: href="../../files/NAME.whl#sha256=...",
                                     data-requires-python, data-core-metadata and its older
                                     name data-dist-info-metadata (sha256 of the .metadata file)
    MIRROR/simple/PROJECT/index.json the same as PEP 691 JSON (api-version 1.1, with PEP 700's
                                     size and versions); nginx serves it to clients that ask for
                                     application/vnd.pypi.simple.v1+json, as PyPI does

Usage: index.py MIRROR
"""

import hashlib
import html
import json
import os
import re
import shutil
import sys
import zipfile


def project_of(wheel_name):
    return re.sub(r"[-_.]+", "-", wheel_name.split("-", 1)[0]).lower()


def version_of(wheel_name):
    return wheel_name.split("-")[1]


def read_metadata(path):
    """The METADATA of the wheel's own .dist-info directory."""
    name, version = os.path.basename(path).split("-")[:2]
    expected = f"{name}-{version}.dist-info/METADATA".lower()
    with zipfile.ZipFile(path) as archive:
        candidates = [
            entry
            for entry in archive.namelist()
            if entry.count("/") == 1 and entry.endswith(".dist-info/METADATA")
        ]
        exact = [entry for entry in candidates if entry.lower() == expected]
        chosen = (exact or candidates or [None])[0]
        if chosen is None:
            raise SystemExit(f"{path}: the wheel has no .dist-info/METADATA")
        return archive.read(chosen)


def requires_python(metadata):
    headers = metadata.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    for line in headers.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "requires-python":
            return value.strip()
    return None


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write(path, text):
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    mirror = sys.argv[1]
    files = os.path.join(mirror, "files")
    projects = {}
    for name in sorted(os.listdir(files)):
        if not name.endswith(".whl"):
            continue
        path = os.path.join(files, name)
        metadata = read_metadata(path)
        with open(path + ".metadata", "wb") as out:
            out.write(metadata)
        with open(path, "rb") as wheel:
            digest = sha256(wheel.read())
        projects.setdefault(project_of(name), []).append(
            {
                "filename": name,
                "sha256": digest,
                "metadata_sha256": sha256(metadata),
                "requires_python": requires_python(metadata),
                "size": os.path.getsize(path),
            }
        )

    staging = os.path.join(mirror, "simple.new")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    links = "".join(f'<a href="{name}/">{name}</a><br>\n' for name in sorted(projects))
    write(
        os.path.join(staging, "index.html"),
        f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n",
    )
    write(
        os.path.join(staging, "index.json"),
        json.dumps(
            {
                "meta": {"api-version": "1.1"},
                "projects": [{"name": name} for name in sorted(projects)],
            }
        ),
    )
    for project, entries in projects.items():
        directory = os.path.join(staging, project)
        os.makedirs(directory)
        anchors = []
        json_files = []
        for entry in entries:
            url = f"../../files/{entry['filename']}"
            attributes = [f'href="{html.escape(url)}#sha256={entry["sha256"]}"']
            if entry["requires_python"]:
                attributes.append(f'data-requires-python="{html.escape(entry["requires_python"])}"')
            attributes.append(f'data-core-metadata="sha256={entry["metadata_sha256"]}"')
            attributes.append(f'data-dist-info-metadata="sha256={entry["metadata_sha256"]}"')
            anchors.append(f"<a {' '.join(attributes)}>{html.escape(entry['filename'])}</a><br>\n")
            json_files.append(
                {
                    "filename": entry["filename"],
                    "url": url,
                    "hashes": {"sha256": entry["sha256"]},
                    "requires-python": entry["requires_python"],
                    "core-metadata": {"sha256": entry["metadata_sha256"]},
                    "dist-info-metadata": {"sha256": entry["metadata_sha256"]},
                    "size": entry["size"],
                }
            )
        write(
            os.path.join(directory, "index.html"),
            f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {project}</h1>\n{''.join(anchors)}</body></html>\n",
        )
        versions = sorted({version_of(entry["filename"]) for entry in entries})
        write(
            os.path.join(directory, "index.json"),
            json.dumps(
                {
                    "meta": {"api-version": "1.1"},
                    "name": project,
                    "versions": versions,
                    "files": json_files,
                }
            ),
        )
    final = os.path.join(mirror, "simple")
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    print(f"index: {sum(len(entries) for entries in projects.values())} wheels of {len(projects)} projects in {final}")


if __name__ == "__main__":
    main()
