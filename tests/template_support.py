"""template.yaml as the template tests read it: loaded once, resolved with symbolic resources.

``Ref X`` resolves to ``ref:X`` and ``GetAtt X.Attr`` to ``arn:X/Attr``, so a test reads which
resource a value points at without any AWS account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local.cfn import Resolver, load_template, parameter_values

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "eu-west-3", "AWS::AccountId": "123456789012"}


def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


def symbolic_resolver(template: dict[str, Any], **parameters: str) -> Resolver:
    """Resolves with the parameters' defaults (``parameters`` override them) and symbolic resources."""
    resources = template["Resources"]

    def ref(logical_id: str) -> str:
        if logical_id not in resources:
            raise KeyError(logical_id)
        return f"ref:{logical_id}"

    def get_att(logical_id: str, attribute: str) -> str:
        if logical_id not in resources:
            raise KeyError(logical_id)
        return f"arn:{logical_id}/{attribute}"

    return Resolver(
        template,
        parameters=parameter_values(template, parameters),
        pseudo=PSEUDO,
        refs=ref,
        attributes=get_att,
    )
