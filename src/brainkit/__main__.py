"""``python -m brainkit``: the same as the ``brainkit`` command."""

from brainkit.cli import main

if __name__ == "__main__":
    main()
