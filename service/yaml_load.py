"""YAML read with libyaml's parser where PyYAML was built with it, errors told by PyYAML's.

The pure-Python parser is ten times slower: the 70 shipped files under ``checklists/`` take
0.41 s of CPU through it and 0.04 s through libyaml on this project's 2-core test machine,
and the demo's start reads all of them while a newcomer's first login is answered. The
constructors and resolvers stay PyYAML's Python ones, so both parsers give the same values.
"""

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # the same interface; the stubs do not make one a subclass of the other
    SafeLoader = yaml.SafeLoader
else:
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through ``SafeLoader``; raises ``yaml.YAMLError`` as it does.

    libyaml's errors name the line but not its text, nor the alias or character at fault: a
    document it refuses is read again by PyYAML's own parser, whose error says them (only on
    failure, so it costs nothing on the way that succeeds).
    """
    try:
        return yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError:
        if SafeLoader is yaml.SafeLoader:
            raise
    return yaml.load(text, Loader=yaml.SafeLoader)
