"""Checks that template.yaml watches what can fail, with the few alarms it has:

- every function has its log group, counted by a metric filter into the stack's one Errors
  metric (ERROR lines and Lambda's failed platform records), and an alarm watches that metric;
- every asynchronous delivery (a queue a function reads, a topic or bucket invoking a function,
  the table's stream, a schedule) ends, after its retries, in a dead-letter queue or on-failure
  destination; and every such queue is watched by an alarm on its visible messages.

It checks itself first: a template with one function's filter or the dead-letter alarm taken
out must fail. Usage: watched.py template.yaml
"""
import copy
import sys

from samtranslator.yaml_helper import yaml_parse

ERROR_METRIC = "Errors"


def target(value):
    """The logical id a !Ref or !GetAtt names, or None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return (att.split(".")[0] if isinstance(att, str) else att[0])
    return None


def sub_text(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return value if isinstance(value, str) else ""


def problems(template):
    resources = template.get("Resources", {})
    of = lambda kind: {k: r for k, r in resources.items() if r.get("Type") == kind}
    props = lambda r: r.get("Properties", {}) or {}
    functions, queues = of("AWS::Serverless::Function"), of("AWS::SQS::Queue")
    found = []

    # Errors: each function's log group, its filter, and the one alarm.
    groups = {
        k: props(r).get("LogGroupName")
        for k, r in of("AWS::Logs::LogGroup").items()
    }
    filters = [props(r) for r in of("AWS::Logs::MetricFilter").values()]
    namespaces = set()
    for function in functions:
        group = next((k for k, name in groups.items() if sub_text(name) == f"/aws/lambda/${{{function}}}"), None)
        if group is None:
            found.append(f"{function}: no log group /aws/lambda/${{{function}}}")
            continue
        counted = [
            t.get("MetricNamespace")
            for f in filters
            if target(f.get("LogGroupName")) == group
            and '$.level = "ERROR"' in str(f.get("FilterPattern"))
            and "platform.report" in str(f.get("FilterPattern"))
            for t in f.get("MetricTransformations", [])
            if t.get("MetricName") == ERROR_METRIC
        ]
        if not counted:
            found.append(f"{function}: its log group {group} has no metric filter counting errors into {ERROR_METRIC}")
        namespaces.update(str(n) for n in counted)
    alarms = [props(r) for r in of("AWS::CloudWatch::Alarm").values()]
    if len(namespaces) > 1:
        found.append(f"the functions' errors go to more than one namespace: {sorted(namespaces)}")
    for namespace in namespaces:
        if not any(a.get("MetricName") == ERROR_METRIC and str(a.get("Namespace")) == namespace for a in alarms):
            found.append(f"no alarm watches the {ERROR_METRIC} metric in {namespace}")

    # Dead letters: every asynchronous delivery ends in a queue, and every such queue is watched.
    dead_letter_queues = set()

    def ends_in(owner, arn):
        queue = target(arn)
        if queue not in queues:
            found.append(f"{owner}: its failures go to {arn!r}, not a queue of this template")
        else:
            dead_letter_queues.add(queue)

    for name, queue in queues.items():
        redrive = props(queue).get("RedrivePolicy")
        if redrive:
            ends_in(name, redrive.get("deadLetterTargetArn"))
    for name, function in functions.items():
        p = props(function)
        on_failure = (((p.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure") or {})
        if on_failure:
            ends_in(name, on_failure.get("Destination"))
        for event_name, event in (p.get("Events") or {}).items():
            kind, e = event.get("Type"), event.get("Properties", {})
            owner = f"{name}.{event_name}"
            if kind == "SQS":
                queue = target(e.get("Queue"))
                if not props(queues.get(queue, {})).get("RedrivePolicy"):
                    found.append(f"{owner}: the queue {queue} has no dead-letter queue")
            elif kind in ("DynamoDB", "Kinesis"):
                destination = ((e.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                if destination is None:
                    found.append(f"{owner}: the stream's failures go nowhere (DestinationConfig.OnFailure)")
                else:
                    ends_in(owner, destination)
            elif kind in ("ScheduleV2", "Schedule"):
                dead_letters = (e.get("DeadLetterConfig") or {}).get("Arn")
                if dead_letters is None:
                    found.append(f"{owner}: the schedule's failures go nowhere (DeadLetterConfig)")
                else:
                    ends_in(owner, dead_letters)
            if kind == "SNS" and e.get("RedrivePolicy"):
                ends_in(owner, e["RedrivePolicy"].get("deadLetterTargetArn"))
            if kind in ("SNS", "S3", "ScheduleV2", "Schedule") and not on_failure:
                found.append(f"{owner}: an asynchronous invocation with no on-failure destination (EventInvokeConfig)")
    invoked_by_lambda = {target(props(p).get("FunctionName")) for p in of("AWS::Lambda::Permission").values()}
    for name, subscription in of("AWS::SNS::Subscription").items():
        p = props(subscription)
        if p.get("Protocol") == "lambda":
            function = target(p.get("Endpoint"))
            if not (((props(functions.get(function, {})).get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure")):
                found.append(f"{name}: {function} is invoked asynchronously with no on-failure destination")
            if function not in invoked_by_lambda:
                found.append(f"{name}: no AWS::Lambda::Permission lets the topic invoke {function}")
        if p.get("RedrivePolicy"):
            ends_in(name, p["RedrivePolicy"].get("deadLetterTargetArn"))
    for queue in sorted(dead_letter_queues):
        watched = any(
            a.get("Namespace") == "AWS/SQS"
            and a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and any(target(d.get("Value")) == queue for d in a.get("Dimensions", []))
            for a in alarms
        )
        if not watched:
            found.append(f"{queue}: a dead-letter queue no alarm watches")
    return found


def self_check(template):
    """The check must fail without a function's filter and without the dead-letter alarm."""
    resources = template["Resources"]
    filters = [k for k, r in resources.items() if r.get("Type") == "AWS::Logs::MetricFilter"
               and any(t.get("MetricName") == ERROR_METRIC for t in r["Properties"].get("MetricTransformations", []))]
    dead_letter_alarms = [k for k, r in resources.items() if r.get("Type") == "AWS::CloudWatch::Alarm"
                          and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    for removed in filters[:1] + dead_letter_alarms[:1]:
        broken = copy.deepcopy(template)
        del broken["Resources"][removed]
        if not problems(broken):
            return [f"the check passed a template without {removed}"]
    if not filters or not dead_letter_alarms:
        return ["the template has no error metric filter or no dead-letter alarm to check"]
    return []


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    found = self_check(template) + problems(template)
    for problem in found:
        print(f"template checks: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    functions = sum(1 for r in template["Resources"].values() if r.get("Type") == "AWS::Serverless::Function")
    alarms = sum(1 for r in template["Resources"].values() if r.get("Type") == "AWS::CloudWatch::Alarm")
    print(f"template checks: {functions} functions' errors counted, every dead-letter queue watched ({alarms} alarms)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
