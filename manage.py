#!/usr/bin/env python
"""Django's command-line utility; `alongside` (the console script) is the same."""

from alongside.cli import main

if __name__ == "__main__":
    main()
