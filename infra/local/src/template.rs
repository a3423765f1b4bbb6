//! Reading template.yaml: the routes, stream sources and resource definitions the local stack
//! stands up, so the template stays the one source of truth.

use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// template.yaml, parsed.
#[derive(Debug, Clone)]
pub struct Template {
    resources: Mapping,
    parameters: Mapping,
    /// `Globals: Function:`, what every function has unless it says otherwise.
    function_globals: Mapping,
}

/// How long Lambda lets a function run when neither it nor `Globals` says.
const LAMBDA_DEFAULT_TIMEOUT_SECONDS: u64 = 3;

/// A problem with the template as the local stack reads it.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// An HTTP API route, as an `HttpApi` event of a function declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub function: String,
    pub method: String,
    pub path: String,
    /// The authorizer guarding the route (`Auth: Authorizer:`), if any.
    pub authorizer: Option<String>,
}

impl HttpRoute {
    /// API Gateway's route key, e.g. `GET /open311/v2/{document}`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A DynamoDB stream feeding a function, as a `DynamoDB` event declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSource {
    pub function: String,
    /// The logical id of the table whose stream it reads.
    pub table: String,
    pub batch_size: i32,
    /// `None`: retried until the record expires (`-1` in the template).
    pub maximum_retry_attempts: Option<u32>,
    pub report_batch_item_failures: bool,
    pub bisect_batch_on_function_error: bool,
    /// The function's `Timeout`: a batch still running then has failed.
    pub timeout: std::time::Duration,
}

/// A topic invoking a function asynchronously, as an `SNS` event declares it, with what the
/// function's `EventInvokeConfig` says Lambda does with an invocation that fails.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSource {
    pub function: String,
    /// The event's name (`TicketEvents`): with the function's, it names the subscription.
    pub event: String,
    /// The logical id of the topic.
    pub topic: String,
    /// The subscription's filter policy, as JSON, and its scope.
    pub filter_policy: Option<serde_json::Value>,
    pub filter_policy_scope: Option<String>,
    /// Retries after a failed invocation (`MaximumRetryAttempts`; Lambda's default 2).
    pub maximum_retry_attempts: u32,
    /// How old an event may grow, retries included (`MaximumEventAgeInSeconds`; 6 hours).
    pub maximum_event_age: std::time::Duration,
    /// The logical id of the queue an event that failed every try goes to, if any.
    pub on_failure: Option<String>,
    /// The function's `Timeout`: an invocation still running then has failed.
    pub timeout: std::time::Duration,
}

impl TopicSource {
    /// The subscription's logical id, as SAM names it (`NotifyFunctionTicketEvents`).
    pub fn subscription(&self) -> String {
        format!("{}{}", self.function, self.event)
    }
}

/// Lambda's asynchronous invocation defaults.
const ASYNC_DEFAULT_RETRIES: u32 = 2;
const ASYNC_DEFAULT_MAX_AGE_SECONDS: u64 = 21_600;

/// The logical id (or parameter) a `!Ref Name` (or `Ref`) names.
pub fn reference(value: &Value) -> Option<String> {
    match tag_name(value) {
        Some((tag, Value::String(name))) if tag == "Ref" => Some(name.clone()),
        _ => value.as_mapping()?.get(key("Ref"))?.as_str().map(str::to_owned),
    }
}

/// The `(logical id, attribute)` of a `!GetAtt Id.Attribute` (or `Fn::GetAtt`).
pub fn get_att(value: &Value) -> Option<(String, String)> {
    let target = match tag_name(value) {
        Some((tag, inner)) if tag == "GetAtt" => inner.clone(),
        _ => value.as_mapping()?.get(key("Fn::GetAtt"))?.clone(),
    };
    match target {
        Value::String(text) => {
            let (id, attribute) = text.split_once('.')?;
            Some((id.to_owned(), attribute.to_owned()))
        }
        Value::Sequence(parts) => {
            Some((parts.first()?.as_str()?.to_owned(), parts.get(1)?.as_str()?.to_owned()))
        }
        _ => None,
    }
}

fn key(name: &str) -> Value {
    Value::String(name.to_owned())
}

fn tag_name(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            Some((tagged.tag.to_string().trim_start_matches('!').to_owned(), &tagged.value))
        }
        _ => None,
    }
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TemplateError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let root: Value = serde_yaml::from_str(text)?;
        let section = |name: &str| root.get(name).and_then(Value::as_mapping).cloned().unwrap_or_default();
        let resources = section("Resources");
        if resources.is_empty() {
            return Err(TemplateError::Shape("no Resources".into()));
        }
        let function_globals = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        Ok(Self { resources, parameters: section("Parameters"), function_globals })
    }

    /// Every parameter's default value.
    pub fn parameter_defaults(&self) -> BTreeMap<String, String> {
        self.parameters
            .iter()
            .filter_map(|(name, spec)| {
                let default = spec.get("Default")?;
                let value = match default {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((name.as_str()?.to_owned(), value))
            })
            .collect()
    }

    /// `(logical id, properties)` of every resource of `kind`, in template order.
    pub fn resources_of_type(&self, kind: &str) -> Vec<(String, Mapping)> {
        self.resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .filter_map(|(id, r)| {
                let properties = r.get("Properties").and_then(Value::as_mapping).cloned().unwrap_or_default();
                Some((id.as_str()?.to_owned(), properties))
            })
            .collect()
    }

    /// The one resource of `kind` (the local stack stands up one of each).
    pub fn single(&self, kind: &str) -> Result<(String, Mapping), TemplateError> {
        let mut found = self.resources_of_type(kind);
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(TemplateError::Shape(format!("expected one {kind}, found {n}"))),
        }
    }

    fn function_events(&self) -> Vec<(String, String, Mapping)> {
        self.resources_of_type("AWS::Serverless::Function")
            .into_iter()
            .flat_map(|(function, properties)| {
                let events =
                    properties.get(key("Events")).and_then(Value::as_mapping).cloned().unwrap_or_default();
                events
                    .into_iter()
                    .filter_map(|(_, event)| {
                        let kind = event.get("Type")?.as_str()?.to_owned();
                        let props = event.get("Properties")?.as_mapping()?.clone();
                        Some((function.clone(), kind, props))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// A resource's whole definition (type, condition, properties).
    pub fn resource(&self, id: &str) -> Option<&Mapping> {
        self.resources.get(key(id)).and_then(Value::as_mapping)
    }

    /// Every SNS event source: the topics that invoke a function asynchronously.
    pub fn topic_sources(&self) -> Result<Vec<TopicSource>, TemplateError> {
        let mut sources = Vec::new();
        for (function, properties) in self.resources_of_type("AWS::Serverless::Function") {
            let invoke = properties.get(key("EventInvokeConfig")).and_then(Value::as_mapping);
            let number = |name: &str| invoke.and_then(|c| c.get(key(name))).and_then(Value::as_u64);
            let on_failure = invoke
                .and_then(|c| c.get(key("DestinationConfig")))
                .and_then(|d| d.get("OnFailure"))
                .and_then(|o| o.get("Destination"))
                .and_then(get_att)
                .map(|(queue, _)| queue);
            let events =
                properties.get(key("Events")).and_then(Value::as_mapping).cloned().unwrap_or_default();
            for (event, definition) in events {
                if definition.get("Type").and_then(Value::as_str) != Some("SNS") {
                    continue;
                }
                let props =
                    definition.get("Properties").and_then(Value::as_mapping).cloned().unwrap_or_default();
                let topic = props.get(key("Topic")).and_then(reference).ok_or_else(|| {
                    TemplateError::Shape(format!("{function}: an SNS event's Topic must be !Ref <Topic>"))
                })?;
                let filter_policy = props
                    .get(key("FilterPolicy"))
                    .map(serde_json::to_value)
                    .transpose()
                    .map_err(|e| TemplateError::Shape(format!("{function}: FilterPolicy: {e}")))?;
                sources.push(TopicSource {
                    event: event.as_str().unwrap_or_default().to_owned(),
                    topic,
                    filter_policy,
                    filter_policy_scope: props
                        .get(key("FilterPolicyScope"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    maximum_retry_attempts: number("MaximumRetryAttempts")
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(ASYNC_DEFAULT_RETRIES),
                    maximum_event_age: std::time::Duration::from_secs(
                        number("MaximumEventAgeInSeconds").unwrap_or(ASYNC_DEFAULT_MAX_AGE_SECONDS),
                    ),
                    on_failure: on_failure.clone(),
                    timeout: self.function_timeout(&function),
                    function: function.clone(),
                });
            }
        }
        Ok(sources)
    }

    /// How long a function may run (`Timeout`, its own or `Globals`'), after which Lambda ends
    /// the invocation as failed.
    pub fn function_timeout(&self, function: &str) -> std::time::Duration {
        let own = self
            .resource(function)
            .and_then(|r| r.get(key("Properties")))
            .and_then(|p| p.get(key("Timeout")))
            .and_then(Value::as_u64);
        let seconds = own
            .or_else(|| self.function_globals.get(key("Timeout")).and_then(Value::as_u64))
            .unwrap_or(LAMBDA_DEFAULT_TIMEOUT_SECONDS);
        std::time::Duration::from_secs(seconds)
    }

    /// The logical ids of every function.
    pub fn functions(&self) -> Vec<String> {
        self.resources_of_type("AWS::Serverless::Function").into_iter().map(|(id, _)| id).collect()
    }

    /// Every HTTP API route.
    pub fn routes(&self) -> Result<Vec<HttpRoute>, TemplateError> {
        self.function_events()
            .into_iter()
            .filter(|(_, kind, _)| kind == "HttpApi")
            .map(|(function, _, props)| {
                let field = |name: &str| {
                    props.get(key(name)).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                        TemplateError::Shape(format!("{function}: an HttpApi event needs a {name}"))
                    })
                };
                let authorizer = props
                    .get(key("Auth"))
                    .and_then(|auth| auth.get("Authorizer"))
                    .and_then(Value::as_str)
                    .filter(|name| *name != "NONE")
                    .map(str::to_owned);
                Ok(HttpRoute {
                    method: field("Method")?.to_ascii_uppercase(),
                    path: field("Path")?,
                    function,
                    authorizer,
                })
            })
            .collect()
    }

    /// Every DynamoDB stream event source.
    pub fn stream_sources(&self) -> Result<Vec<StreamSource>, TemplateError> {
        self.function_events()
            .into_iter()
            .filter(|(_, kind, _)| kind == "DynamoDB")
            .map(|(function, _, props)| {
                let stream = props.get(key("Stream")).ok_or_else(|| {
                    TemplateError::Shape(format!("{function}: a DynamoDB event needs a Stream"))
                })?;
                let table = match tag_name(stream) {
                    Some((tag, Value::String(target))) if tag == "GetAtt" => {
                        target.split('.').next().unwrap_or_default().to_owned()
                    }
                    _ => {
                        return Err(TemplateError::Shape(format!(
                            "{function}: Stream must be !GetAtt <Table>.StreamArn"
                        )));
                    }
                };
                let number = |name: &str, default: i64| {
                    props.get(key(name)).and_then(Value::as_i64).unwrap_or(default)
                };
                let report = props
                    .get(key("FunctionResponseTypes"))
                    .and_then(Value::as_sequence)
                    .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")));
                Ok(StreamSource {
                    timeout: self.function_timeout(&function),
                    function,
                    table,
                    batch_size: i32::try_from(number("BatchSize", 100)).unwrap_or(100),
                    maximum_retry_attempts: u32::try_from(number("MaximumRetryAttempts", -1)).ok(),
                    report_batch_item_failures: report,
                    bisect_batch_on_function_error: props
                        .get(key("BisectBatchOnFunctionError"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            })
            .collect()
    }
}

/// Resolves the intrinsic functions the local stack needs in resource properties: `!Ref` to a
/// parameter. Anything else is an error, so nothing is silently half-provisioned.
pub fn resolve(value: &Value, parameters: &BTreeMap<String, String>) -> Result<Value, TemplateError> {
    if let Some((tag, inner)) = tag_name(value) {
        return match (tag.as_str(), inner) {
            ("Ref", Value::String(name)) => parameters
                .get(name)
                .map(|v| Value::String(v.clone()))
                .ok_or_else(|| TemplateError::Shape(format!("!Ref {name} is not a parameter"))),
            (other, _) => Err(TemplateError::Shape(format!("!{other} is not supported locally here"))),
        };
    }
    Ok(match value {
        Value::Sequence(items) => {
            Value::Sequence(items.iter().map(|v| resolve(v, parameters)).collect::<Result<_, _>>()?)
        }
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, parameters)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::load(Path::new(crate::TEMPLATE_PATH)).unwrap()
    }

    #[test]
    fn reads_the_routes_template_yaml_declares() {
        let routes = template().routes().unwrap();
        let submit = HttpRoute {
            function: "SubmitFunction".into(),
            method: "POST".into(),
            path: "/open311/v2/requests.json".into(),
            authorizer: None,
        };
        assert!(routes.contains(&submit), "{routes:?}");
        let staff = routes.iter().find(|r| r.path == "/staff/v1/tickets/{id}/actions").unwrap();
        assert_eq!(staff.authorizer.as_deref(), Some("StaffAuthorizer"));
        assert!(routes.iter().any(|r| r.route_key() == "GET /open311/v2/requests/{document}"));
    }

    #[test]
    fn reads_the_stream_source_of_route() {
        let sources = template().stream_sources().unwrap();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].function, "RouteFunction");
        assert_eq!(sources[0].table, "TicketsTable");
        assert!(sources[0].report_batch_item_failures);
    }

    #[test]
    fn reads_the_topics_that_invoke_functions_with_their_retries_and_on_failure_queue() {
        let sources = template().topic_sources().unwrap();
        let notify = sources.iter().find(|s| s.subscription() == "NotifyFunctionTicketEvents").unwrap();
        assert_eq!(notify.topic, "EventsTopic");
        assert_eq!(notify.filter_policy, Some(serde_json::json!({"notify": ["true"]})));
        assert_eq!(notify.filter_policy_scope.as_deref(), Some("MessageAttributes"));
        assert_eq!(notify.maximum_retry_attempts, 2);
        assert_eq!(notify.on_failure.as_deref(), Some("DeadLetterQueue"));
        for function in ["NotifyFunction", "PhotoFunction", "InboundFunction"] {
            assert!(sources.iter().any(|s| s.function == function), "{function}: {sources:?}");
        }
    }

    #[test]
    fn a_function_runs_for_its_own_timeout_or_the_global_one() {
        let template = Template::parse(
            "Globals:\n  Function:\n    Timeout: 10\nResources:\n  \
             A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: 60\n  \
             B:\n    Type: AWS::Serverless::Function\n    Properties: {}\n",
        )
        .unwrap();
        assert_eq!(template.function_timeout("A"), std::time::Duration::from_secs(60));
        assert_eq!(template.function_timeout("B"), std::time::Duration::from_secs(10));
        let bare =
            Template::parse("Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: {}\n")
                .unwrap();
        assert_eq!(bare.function_timeout("A"), std::time::Duration::from_secs(3));
    }

    #[test]
    fn each_function_bounds_its_aws_calls_by_its_timeout_in_the_template() {
        let template = template();
        for (function, timeout) in [
            ("SubmitFunction", submit::TIMEOUT),
            ("QueryFunction", query::TIMEOUT),
            ("UpdateFunction", update::TIMEOUT),
            ("RouteFunction", route::TIMEOUT),
            ("NotifyFunction", notify::TIMEOUT),
            ("PhotoFunction", photo::lambda::TIMEOUT),
        ] {
            assert_eq!(template.function_timeout(function), timeout, "{function}");
        }
    }

    #[test]
    fn resolves_parameters_and_refuses_what_it_cannot() {
        let params: BTreeMap<String, String> = [("WebOrigin".to_owned(), "http://x".to_owned())].into();
        let v: Value = serde_yaml::from_str("a: [!Ref WebOrigin]").unwrap();
        assert_eq!(resolve(&v, &params).unwrap(), serde_yaml::from_str::<Value>("a: [http://x]").unwrap());
        let v: Value = serde_yaml::from_str("a: !GetAtt T.Arn").unwrap();
        assert!(resolve(&v, &params).is_err());
    }
}
