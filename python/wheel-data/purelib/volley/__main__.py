"""``python -m volley ARGS``: run the installed ``volley`` executable with ARGS."""

import os
import sys

from volley import find_volley_bin


def main() -> None:
    volley = find_volley_bin()
    if sys.platform == "win32":
        # Windows has no exec: run it as a child and pass its exit code on.
        import subprocess

        sys.exit(subprocess.call([volley, *sys.argv[1:]]))
    os.execv(volley, [volley, *sys.argv[1:]])


if __name__ == "__main__":
    main()
