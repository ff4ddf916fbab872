"""``carve completion bash|zsh``: print a shell completion script for carve.

Enable it for the current shell with ``eval "$(carve completion bash)"`` (zsh:
``eval "$(carve completion zsh)"``), or save it once, e.g. to
``~/.local/share/bash-completion/completions/carve``. It completes actions,
each action's flags, ``--info`` sections and, elsewhere, file names. The flag
lists are read from the parsers themselves, so they never go stale.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to print the script for")


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(flag for action in parser._actions for flag in action.option_strings)


def script(shell: str, parsers: dict[str, Any]) -> str:
    """The completion script for ``shell`` (bash; zsh through bashcompinit).

    ``parsers`` is the command line's parser table (:func:`carve.cli.main.parser_table`:
    ``actions`` name -> parser, ``top`` parser, ``info_sections``), handed over by
    the dispatcher, so this action needs no import of the module that lists it.
    """
    actions, top_parser = parsers["actions"], parsers["top"]
    cases = []
    for name, parser in actions.items():
        words = " ".join(_flags(parser))
        cases.append(f'        {name}) flags="{words}" ;;')
    top = " ".join([*actions, *_flags(top_parser)])
    sections = " ".join(["all", *parsers["info_sections"]])
    body = "\n".join(cases)
    text = f"""# carve shell completion ({shell}): eval "$(carve completion {shell})"
_carve() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" flags=""
    if [[ "$prev" == "--info" ]]; then
        COMPREPLY=( $(compgen -W "{sections}" -- "$cur") ); return 0
    fi
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=( $(compgen -W "{top}" -- "$cur") ); return 0
    fi
    case "${{COMP_WORDS[1]}}" in
{body}
        *) flags="{" ".join(_flags(top_parser))}" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
    else
        COMPREPLY=( $(compgen -f -- "$cur") )
    fi
}}
complete -o default -F _carve carve
"""
    if shell == "zsh":
        text = "autoload -U +X bashcompinit && bashcompinit\n" + text
    return text


def run(args: argparse.Namespace) -> int:
    print(script(args.shell, args.carve_parsers()), end="")
    return 0
