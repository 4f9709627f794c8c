"""`python -m afa.rasa_server run …` (or `train …`, `test …`, `data validate …`): Rasa's own command line, with `afa.rasa_speedups` applied first."""
from __future__ import annotations

from afa import rasa_speedups


def main() -> None:
    rasa_speedups.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
