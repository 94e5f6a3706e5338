"""``gankit presets``: list the shipped presets, one line each."""

from __future__ import annotations

from gankit.config import preset_names, preset_values


def add_parser(sub) -> None:
    p = sub.add_parser("presets", help="list the shipped presets")
    p.add_argument("name", nargs="?", help="print this preset's resolved YAML")
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.name:
        from gankit.config import load_config
        print(load_config(args.name).to_yaml(), end="")
        return 0
    names = preset_names()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {preset_values(name).get('description', '')}")
    return 0
