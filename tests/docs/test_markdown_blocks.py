"""The block extractor: fences, continuation lines, directives and their errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from markdown_blocks import parse_page

PAGE = """# Title
<!-- doctest: args --data-size 2000 -->
<!-- doctest: setup carve train jsc-tiny jsc-synth --project a -->

```bash
carve study jsc-tiny jsc-synth --vary batch-size=64,128 \\
    --seeds 2  # comment
# a comment line
carve test jsc-tiny jsc-synth
```

```text
carve not-run
```

<!-- doctest: skip needs a GPU to run -->
```python
import torch
```

<!-- doctest: file my_model.py -->
````python
x = 1
```
````
"""


def test_blocks_directives_and_commands(tmp_path):
    path = tmp_path / "page.md"
    path.write_text(PAGE)
    page = parse_page(path)
    assert page.args == ["--data-size", "2000"]
    assert page.setup == [["carve", "train", "jsc-tiny", "jsc-synth", "--project", "a"]]
    assert [b.language for b in page.blocks] == ["bash", "text", "python", "python"]
    bash, _, skipped, saved = page.blocks
    assert bash.line == 5
    assert bash.commands() == [
        ["carve", "study", "jsc-tiny", "jsc-synth", "--vary", "batch-size=64,128", "--seeds", "2"],
        ["carve", "test", "jsc-tiny", "jsc-synth"],
    ]
    assert skipped.skip == "needs a GPU to run"
    assert saved.file == "my_model.py" and saved.text == "x = 1\n```\n"
    assert page.runnable == [bash, saved]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- doctest: skip -->\n```bash\ncarve\n```\n", "needs a reason"),
        ("<!-- doctest: skp x y z -->\n```bash\ncarve\n```\n", "unknown doctest directive 'skp'"),
        ("<!-- doctest: skip a b c -->\n```text\nx\n```\n", "directive before a 'text' block"),
        ("<!-- doctest: skip a b c -->\n", "not followed by a block"),
    ],
)
def test_directive_mistakes_are_errors(tmp_path, text, message):
    path = tmp_path / "page.md"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        parse_page(path)
