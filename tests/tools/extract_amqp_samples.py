"""Copies what the PHPUnit golden tests of CeleryBridge\\Wire\\Amqp need from the captured AMQP samples.

The samples (../shared/amqp/samples, see its README) hold, per case, a JSON file describing every
basic.publish the broker received and the raw content-header payload of each (`<case>.pubN.header.bin`).
This keeps, for every publish that has a raw header file, only the decoded values the tests
rebuild the header from (method arguments, property flags, properties with the header table,
header types and key order, body length), in one publishes.json, and copies the raw header and
body files unchanged next to it, so that the repository's tests never read ../shared.
Run: .venv/bin/python tests/tools/extract_amqp_samples.py ../shared/amqp/samples php/tests/fixtures/amqp
"""

import json
import shutil
import sys
from pathlib import Path

KEPT = ("method_args", "property_flags", "properties", "headers_types", "headers_key_order", "body_len")


def main(samples: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    publishes = []
    for path in sorted(samples.glob("*.json")):
        case = json.loads(path.read_text())
        if not isinstance(case, dict) or not isinstance(case.get("publishes"), list):
            continue
        for index, publish in enumerate(case["publishes"]):
            raw = publish.get("raw_files", [])
            header = next((name for name in raw if name.endswith(".header.bin")), None)
            if header is None:
                continue
            for name in raw:
                shutil.copyfile(samples / name, target / name)
            publishes.append({"case": case["case"], "index": index, "header_file": header}
                             | {key: publish.get(key) for key in KEPT})
    (target / "publishes.json").write_text(json.dumps(publishes, indent=1) + "\n")
    print(f"{len(publishes)} publishes from {samples}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
