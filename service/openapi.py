"""Write or check the committed spec: ``python -m service.openapi [--check]``."""

import json
import sys
from pathlib import Path

from pydantic import SecretStr

from service.config import PROJECT_ROOT, AuthSettings, Settings
from service.main import create_app

SPEC_PATH = PROJECT_ROOT / "openapi" / "openapi.json"


def render() -> str:
    settings = Settings(demo=True, auth=AuthSettings(secret_key=SecretStr("x" * 40)))
    spec = create_app(settings).openapi()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    current = render()
    if "--check" in argv:
        if not SPEC_PATH.exists() or SPEC_PATH.read_text(encoding="utf-8") != current:
            print(f"{SPEC_PATH} is out of date: run `python -m service.openapi`", file=sys.stderr)
            return 1
        return 0
    Path(SPEC_PATH).parent.mkdir(parents=True, exist_ok=True)
    SPEC_PATH.write_text(current, encoding="utf-8")
    print(f"wrote {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
