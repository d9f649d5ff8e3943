#!/usr/bin/env python3
"""Print a reviewer's summary of a Terraform plan in JSON (`terraform show -json PLAN`).

    summarize_plan.py tfplan.json

For every resource the plan touches: its action, the arguments that change (paths only, never
values, so nothing sensitive is printed) and, for `wordpress_ha_stack`, the sub-resource
actions the provider lists in `planned_changes`, one line per AWS object:

    wordpress_ha_stack.site: update in place
      changes: autoscaling.max_size, wordpress.image
      known after apply: autoscaling.desired_capacity, launch_template_version
      AWS objects:
        update ASG: max 4 -> 6
        update launch template: new version (image wordpress:6-apache -> wordpress:6.6-apache)
        update ASG: instance refresh to the new launch template version (keeps 90% healthy)
"""

import json
import sys

STACK_TYPE = "wordpress_ha_stack"
# Computed attributes that describe the plan itself rather than the configuration.
NOT_ARGUMENTS = {"planned_changes"}


def action_words(actions):
    """Terraform's action list as a reviewer reads it."""
    if actions in (["delete", "create"], ["create", "delete"]):
        order = "destroy then create" if actions[0] == "delete" else "create then destroy"
        return f"replace ({order})"
    return {
        ("create",): "create",
        ("update",): "update in place",
        ("delete",): "destroy",
        ("read",): "read",
        ("no-op",): "no change",
    }.get(tuple(actions), "/".join(actions))


def differing_paths(before, after, unknown, prefix=""):
    """(changed, unknown): dotted paths whose planned value differs from the prior one, and
    paths whose value only the apply will know."""
    if unknown is True:
        return [], [prefix]
    if isinstance(before, dict) and isinstance(after, dict):
        changed, later = [], []
        for key in sorted(set(before) | set(after)):
            if not prefix and key in NOT_ARGUMENTS:
                continue
            inner = unknown.get(key, False) if isinstance(unknown, dict) else False
            path = f"{prefix}.{key}" if prefix else key
            more_changed, more_later = differing_paths(before.get(key), after.get(key), inner, path)
            changed += more_changed
            later += more_later
        return changed, later
    return ([prefix] if before != after else []), []


def summarize(change):
    """Lines describing one entry of `resource_changes`."""
    details = change["change"]
    actions = details.get("actions", [])
    lines = [f"{change['address']}: {action_words(actions)}"]
    before, after = details.get("before"), details.get("after")
    if before is not None and after is not None:
        changed, later = differing_paths(before, after, details.get("after_unknown") or {})
        if changed:
            lines.append("  changes: " + ", ".join(changed))
        if later:
            lines.append("  known after apply: " + ", ".join(later))
    if change.get("type") == STACK_TYPE:
        lines += stack_lines(actions, after)
    return lines


def stack_lines(actions, after):
    """The provider's own account of the AWS objects behind one stack."""
    if actions == ["delete"]:
        return ["  AWS objects:", "    delete every AWS object of the stack (reverse order, then a sweep by tag)"]
    planned = (after or {}).get("planned_changes") or []
    if not planned:
        return []
    return ["  AWS objects:"] + [f"    {line}" for line in planned]


def main(argv):
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as handle:
            plan = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"summarize_plan: cannot read {argv[0]}: {error}", file=sys.stderr)
        return 1
    changes = [
        c for c in plan.get("resource_changes", []) if c["change"].get("actions") != ["no-op"]
    ]
    if not changes:
        print("Plan review: no changes.")
        return 0
    counts = {}
    for change in changes:
        word = action_words(change["change"]["actions"]).split(" (")[0]
        counts[word] = counts.get(word, 0) + 1
    tally = ", ".join(f"{n} to {word}" for word, n in sorted(counts.items()))
    print(f"Plan review: {tally}")
    for change in changes:
        print("\n".join(summarize(change)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
