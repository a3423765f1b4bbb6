//! The reporter's answer to "was it fixed?" (the digest function asks some days after a request
//! is closed, with a link that stands for the ticket and the reporter: a random token kept in
//! the table, as the unsubscribe and confirmation links are).
//!
//! Opening the link (`GET`, `&answer=yes` or `no` preselecting the choice) shows a small page in
//! the reporter's language with the question, a yes/no choice and an optional comment: a mail
//! scanner that fetches the link answers nothing. Sending it (`POST`, form fields `answer` and
//! `comment`) keeps the answer on the ticket, once per closing; "no" within the reopen window
//! reopens the request (the table's stream then has route count it and notify tell the
//! department and the followers). A link that is unknown, forged or expired answers nothing.

use crate::State;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use town311::domain::contact::Language;
use town311::domain::fix_check::{Answer, AnswerError, MAX_COMMENT_CHARS};
use town311::domain::status::Status;
use town311::domain::ticket::Ticket;
use town311::http::{self, ApiError};
use town311::ports::StoreError;

pub const ROUTE_GET: &str = "GET /citizen/v1/fixed";
pub const ROUTE_POST: &str = "POST /citizen/v1/fixed";

/// The largest answer accepted (a comment of [`MAX_COMMENT_CHARS`] characters, encoded).
const MAX_ANSWER_BYTES: usize = 16 * 1024;

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let posted = http::route_key(request) == Some(ROUTE_POST);
    if posted {
        crate::admit(state, request, town311::domain::rate::Route::Reopen).await?;
    }
    let token = http::query_parameter(request, "token").map(str::trim).unwrap_or_default();
    let target = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state.deliveries.fix_check_target(token).await?
    };
    let ticket = match target {
        Some((id, _)) => state.tickets.get(&id).await?,
        None => None,
    };
    let Some(ticket) = ticket else {
        tracing::info!("a fix check link that is unknown or expired");
        return expired();
    };
    let language = ticket.reporter.language;
    let words = Words::of(language);
    if !posted {
        let preselect = http::query_parameter(request, "answer");
        let history = state.tickets.history(&ticket.id).await?;
        return match ticket.answer_fix_check(
            &Answer { fixed: true, comment: None },
            &history,
            state.clock.now(),
        ) {
            Ok(_) => page(
                StatusCode::OK,
                language,
                &words.title(&ticket),
                &form(&words, &ticket, token, preselect, None),
            ),
            Err(error) => refused(&words, &ticket, &error),
        };
    }
    let form_fields =
        town311::open311::form::Form::parse_urlencoded(http::body_within(request, MAX_ANSWER_BYTES)?)?;
    let chosen = form_fields.get("answer").unwrap_or_default();
    let answer = match Answer::parse(chosen, form_fields.get("comment")) {
        Some(Ok(answer)) => answer,
        Some(Err(error)) => return refused(&words, &ticket, &error),
        None => {
            let again = form(&words, &ticket, token, None, Some(words.choose));
            return page(StatusCode::BAD_REQUEST, language, &words.title(&ticket), &again);
        }
    };
    let history = state.tickets.history(&ticket.id).await?;
    let change = match ticket.answer_fix_check(&answer, &history, state.clock.now()) {
        Ok(change) => change,
        Err(error) => return refused(&words, &ticket, &error),
    };
    match state.tickets.apply(std::slice::from_ref(&change)).await {
        Ok(()) => {}
        // Changed meanwhile (staff, or the same answer twice at once): asked to try again.
        Err(StoreError::Conflict) => {
            return page(StatusCode::CONFLICT, language, words.changed, &paragraph(words.try_again));
        }
        Err(other) => return Err(other.into()),
    }
    let reopened = change.0.status == Status::Reopened;
    tracing::info!(ticket_id = %ticket.id, fixed = answer.fixed, reopened, commented = answer.comment.is_some(), "fix check answered");
    let said = if answer.fixed {
        words.thanks_fixed
    } else if reopened {
        words.thanks_reopened
    } else {
        words.thanks_late
    };
    page(StatusCode::OK, language, words.thanks, &paragraph(&said.replace("{id}", ticket.id.as_str())))
}

/// The page a refused answer gets.
fn refused(words: &Words, ticket: &Ticket, error: &AnswerError) -> Result<Response<Body>, ApiError> {
    let language = words.language;
    match error {
        AnswerError::Answered => {
            page(StatusCode::CONFLICT, language, words.answered, &paragraph(words.answered_text))
        }
        AnswerError::NotClosed => page(
            StatusCode::CONFLICT,
            language,
            words.open_again,
            &paragraph(&words.open_again_text.replace("{id}", ticket.id.as_str())),
        ),
        AnswerError::Comment | AnswerError::Lifecycle(_) => page(
            StatusCode::BAD_REQUEST,
            language,
            words.comment_title,
            &paragraph(&words.comment_text.replace("{max}", &MAX_COMMENT_CHARS.to_string())),
        ),
    }
}

/// The answer an unknown or expired link gets: in both languages, as nothing says whose it is.
fn expired() -> Result<Response<Body>, ApiError> {
    let en = Words::of(Language::En);
    let es = Words::of(Language::Es);
    let body = format!(
        "{}<div lang=\"es\"><h2>{}</h2>{}</div>",
        paragraph(en.expired_text),
        escape(es.expired),
        paragraph(es.expired_text)
    );
    page(StatusCode::NOT_FOUND, Language::En, en.expired, &body)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// The question's form: yes or no (one preselected by the link, if it said), a comment, a button.
fn form(words: &Words, ticket: &Ticket, token: &str, preselect: Option<&str>, error: Option<&str>) -> String {
    let checked = |value: &str| if preselect == Some(value) { " checked" } else { "" };
    let error =
        error.map(|e| format!("<p role=\"alert\" id=\"answer-error\">{}</p>", escape(e))).unwrap_or_default();
    let described = if error.is_empty() { "" } else { " aria-describedby=\"answer-error\"" };
    format!(
        "<p>{intro}</p>{error}\
         <form method=\"post\" action=\"?token={token}\">\
         <fieldset{described}><legend>{legend}</legend>\
         <p><input type=\"radio\" id=\"answer-yes\" name=\"answer\" value=\"yes\" required{yes_checked}> \
         <label for=\"answer-yes\">{yes}</label></p>\
         <p><input type=\"radio\" id=\"answer-no\" name=\"answer\" value=\"no\"{no_checked}> \
         <label for=\"answer-no\">{no}</label></p></fieldset>\
         <p><label for=\"comment\">{comment}</label><br>\
         <textarea id=\"comment\" name=\"comment\" rows=\"4\" cols=\"40\" maxlength=\"{max}\"></textarea></p>\
         <p><button type=\"submit\">{send}</button></p></form>",
        intro = escape(
            &words.intro.replace("{id}", ticket.id.as_str()).replace("{service}", &ticket.service_name)
        ),
        token = escape(token),
        legend = escape(words.legend),
        yes = escape(words.yes),
        no = escape(words.no),
        yes_checked = checked("yes"),
        no_checked = checked("no"),
        comment = escape(words.comment),
        max = MAX_COMMENT_CHARS,
        send = escape(words.send),
    )
}

/// The HTML page: a heading and its content, in `language`.
fn page(
    status: StatusCode,
    language: Language,
    title: &str,
    content: &str,
) -> Result<Response<Body>, ApiError> {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head>\
         <body><main><h1>{}</h1>{content}</main></body></html>",
        language.as_str(),
        escape(title),
        escape(title),
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("content-security-policy", "default-src 'none'; form-action 'self'")
        .header("referrer-policy", "no-referrer")
        .body(Body::from(html))
        .map_err(|e| ApiError::Internal(Box::new(e)))
}

/// The page's words in one language.
struct Words {
    language: Language,
    question: &'static str,
    intro: &'static str,
    legend: &'static str,
    yes: &'static str,
    no: &'static str,
    comment: &'static str,
    send: &'static str,
    choose: &'static str,
    thanks: &'static str,
    thanks_fixed: &'static str,
    thanks_reopened: &'static str,
    thanks_late: &'static str,
    answered: &'static str,
    answered_text: &'static str,
    open_again: &'static str,
    open_again_text: &'static str,
    comment_title: &'static str,
    comment_text: &'static str,
    changed: &'static str,
    try_again: &'static str,
    expired: &'static str,
    expired_text: &'static str,
}

impl Words {
    fn title(&self, ticket: &Ticket) -> String {
        self.question.replace("{id}", ticket.id.as_str())
    }

    fn of(language: Language) -> Self {
        match language {
            Language::En => Self {
                language,
                question: "Was request {id} fixed?",
                intro: "The town closed your request {id} ({service}). Tell us whether the problem is fixed.",
                legend: "Is the problem fixed?",
                yes: "Yes, it is fixed",
                no: "No, it is not fixed",
                comment: "A comment for the town (optional)",
                send: "Send my answer",
                choose: "Choose yes or no.",
                thanks: "Thank you",
                thanks_fixed: "We are glad request {id} is fixed. Your answer helps the town see how it is doing.",
                thanks_reopened: "We reopened request {id} and told the department. You will hear when it changes.",
                thanks_late: "Request {id} was closed too long ago to reopen, but the department has your answer. \
                              If the problem is back, please report it again.",
                answered: "You answered already",
                answered_text: "This request already has your answer. Thank you.",
                open_again: "This request is open again",
                open_again_text: "Request {id} is no longer closed, so there is nothing to answer.",
                comment_title: "The comment is too long",
                comment_text: "Please keep the comment to {max} characters and send it again.",
                changed: "The request just changed",
                try_again: "Please open the link again and send your answer once more.",
                expired: "This link has expired",
                expired_text: "It may be old or mistyped. If the problem is back, please report it again.",
            },
            Language::Es => Self {
                language,
                question: "¿Se resolvió la solicitud {id}?",
                intro: "La ciudad cerró su solicitud {id} ({service}). Díganos si el problema está resuelto.",
                legend: "¿Está resuelto el problema?",
                yes: "Sí, está resuelto",
                no: "No, no está resuelto",
                comment: "Un comentario para la ciudad (opcional)",
                send: "Enviar mi respuesta",
                choose: "Elija sí o no.",
                thanks: "Gracias",
                thanks_fixed: "Nos alegra que la solicitud {id} esté resuelta. Su respuesta ayuda a la ciudad a \
                               saber cómo lo hace.",
                thanks_reopened: "Reabrimos la solicitud {id} y avisamos al departamento. Recibirá avisos cuando cambie.",
                thanks_late: "La solicitud {id} se cerró hace demasiado para reabrirla, pero el departamento tiene \
                              su respuesta. Si el problema volvió, hágala de nuevo.",
                answered: "Ya respondió",
                answered_text: "Esta solicitud ya tiene su respuesta. Gracias.",
                open_again: "Esta solicitud está abierta de nuevo",
                open_again_text: "La solicitud {id} ya no está cerrada: no hay nada que responder.",
                comment_title: "El comentario es demasiado largo",
                comment_text: "Deje el comentario en {max} caracteres y envíelo de nuevo.",
                changed: "La solicitud acaba de cambiar",
                try_again: "Abra el enlace de nuevo y envíe su respuesta otra vez.",
                expired: "Este enlace ha caducado",
                expired_text: "Puede ser antiguo o estar mal escrito. Si el problema volvió, haga la solicitud de nuevo.",
            },
        }
    }
}
