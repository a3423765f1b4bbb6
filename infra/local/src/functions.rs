//! The function handlers the local stack runs, by the logical id template.yaml gives them.

use lambda_http::{Body, Request, Response};
use town311::adapters::aws::Adapters;

/// A function answering HTTP API routes.
pub enum HttpFunction {
    Submit(submit::State),
    Query(query::State),
    Update(update::State),
    Web(web::State),
}

impl HttpFunction {
    pub async fn call(&self, request: Request) -> Result<Response<Body>, lambda_http::Error> {
        match self {
            Self::Submit(state) => submit::handle(state, request).await,
            Self::Query(state) => query::handle(state, request).await,
            Self::Update(state) => update::handle(state, request).await,
            Self::Web(state) => web::handle(state, request).await,
        }
    }
}

/// Every function of the template, built as its `main` would build it in Lambda.
pub struct Functions {
    pub http: Vec<(String, HttpFunction)>,
    pub route: route::State,
    pub notify: std::sync::Arc<notify::State>,
    pub photo: std::sync::Arc<photo::lambda::State>,
    pub inbound: std::sync::Arc<inbound::State>,
    /// The morning digest, run on request (`POST /_town311/digest`, `make digest`): locally
    /// there is no scheduler.
    pub digest: std::sync::Arc<escalation::State>,
}

/// A function template.yaml declares that the local stack does not know how to run.
#[derive(Debug, thiserror::Error)]
#[error(
    "template.yaml declares {0}, which the local stack cannot run; add it to infra/local/src/functions.rs"
)]
pub struct UnknownFunction(pub String);

impl Functions {
    /// `map_center` is the `TownMapCenter` parameter (`lat,long`), for the web pages;
    /// `form_key` signs their form tokens (the `FormSecret` parameter, as submit reads it);
    /// `privacy` is what the privacy page states; `staff` the user pool staff sign in to (in the
    /// emulator `sdk` reaches).
    pub fn build(
        declared: &[String],
        aws: &Adapters,
        sdk: &aws_config::SdkConfig,
        staff: &crate::cognito::StaffPool,
        map_center: Option<&str>,
        form_key: Option<web::form_token::FormKey>,
        privacy: web::Privacy,
    ) -> Result<Self, UnknownFunction> {
        let config = &aws.config();
        let mut http = Vec::new();
        for id in declared {
            let function = match id.as_str() {
                "SubmitFunction" => HttpFunction::Submit(aws.into()),
                "QueryFunction" => {
                    // The pool's groups, as `STAFF_USER_POOL_ID` names them in AWS.
                    HttpFunction::Query(query::State {
                        directory: std::sync::Arc::new(
                            town311::adapters::aws::directory::CognitoDirectory::new(sdk, &staff.pool_id),
                        ),
                        ..aws.into()
                    })
                }
                "UpdateFunction" => HttpFunction::Update(aws.into()),
                // Staff sign in at the emulator's Cognito, as at Cognito's API in AWS.
                "WebFunction" => HttpFunction::Web(web::State {
                    town_name: config.town_name.clone(),
                    timezone: Some(config.timezone.name().to_owned()),
                    map_center: map_center.and_then(web::parse_center),
                    web_origin: config.web_origin.clone(),
                    sign_in: Some(web::StaffSignIn {
                        endpoint: staff.endpoint.clone(),
                        region: staff.region.clone(),
                        client_id: staff.client_id.clone(),
                    }),
                    form_key: form_key.clone(),
                    privacy: privacy.clone(),
                    files_dir: Some(web::SOURCE_DIR.into()),
                }),
                "RouteFunction" | "NotifyFunction" | "PhotoFunction" | "InboundFunction"
                | "DigestFunction" => {
                    continue;
                }
                other => return Err(UnknownFunction(other.to_owned())),
            };
            http.push((id.clone(), function));
        }
        Ok(Self {
            http,
            route: aws.into(),
            notify: std::sync::Arc::new(aws.into()),
            photo: std::sync::Arc::new(aws.into()),
            inbound: std::sync::Arc::new(aws.into()),
            digest: std::sync::Arc::new(aws.into()),
        })
    }

    pub fn http(&self, id: &str) -> Option<&HttpFunction> {
        self.http.iter().find(|(name, _)| name == id).map(|(_, f)| f)
    }
}
