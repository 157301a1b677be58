"""The template as CloudFormation deploys it: SAM's own translator, offline, for one stage.

`python sam_transform.py <stage> <out.json>`; the checks of `make package` (checkov, cfn-guard)
read the result, since they judge the resources SAM makes (roles, aliases, event mappings).
"""

import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no managed policy by name, so nothing needs IAM to look one up."""

    def load(self):
        return {}


def main() -> None:
    stage, out = sys.argv[1], sys.argv[2]
    with open("template.yaml", encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # What `sam package` does: each function's code is an object in S3.
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    try:
        transformed = transform(
            template, {"Stage": stage, "AWS::Region": "us-east-1"}, NoManagedPolicies()
        )
    except InvalidDocumentException as e:
        raise SystemExit("; ".join(str(cause) for cause in e.causes)) from e
    with open(out, "w", encoding="utf-8") as f:
        json.dump(transformed, f, indent=1)


if __name__ == "__main__":
    main()
