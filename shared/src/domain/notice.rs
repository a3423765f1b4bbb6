//! What a citizen is told when their request changes, in plain English or Spanish: a text
//! message short enough for one SMS segment where possible, and an email. Only public changes
//! make a notice; none carries staff names or internal notes.

use crate::domain::catalog::Department;
use crate::domain::contact::Language;
use crate::domain::status::{Resolution, Status};
use crate::domain::ticket::{Change, HistoryEntry, Ticket};
use crate::domain::zone::TownZone;
use chrono::{DateTime, Datelike, Timelike, Utc};

/// One SMS segment of GSM-7 text.
pub const SMS_SEGMENT: usize = 160;

/// What one change tells one citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub sms: String,
    pub subject: String,
    /// The email's text, without the unsubscribe footer (the sender adds it with its link).
    pub body: String,
}

/// Everything a notice is written from.
pub struct Context<'a> {
    pub town: &'a str,
    pub timezone: TownZone,
    pub ticket: &'a Ticket,
    pub entry: &'a HistoryEntry,
    pub department: Option<&'a Department>,
    /// The status page of the ticket.
    pub status_url: Option<String>,
    pub language: Language,
    /// Whether the citizen can answer by replying on the channel this notice goes by (the
    /// town takes answers by mail, or has a two-way number).
    pub replies: bool,
}

/// The news of a change, before wording.
enum News<'a> {
    Received,
    Assigned,
    Scheduled(DateTime<Utc>),
    Status(Status),
    Closed(Option<Resolution>, Option<&'a str>),
    Reopened,
    Note(&'a str),
    HandedOver,
    Merged(&'a str),
    /// Staff's words to the citizen, public or not.
    Message(&'a str),
}

fn news_of(entry: &HistoryEntry) -> Option<News<'_>> {
    if let Change::Messaged { text, .. } = &entry.change {
        return Some(News::Message(text));
    }
    if !entry.public {
        return None;
    }
    Some(match &entry.change {
        Change::Submitted { .. } => News::Received,
        Change::Assigned { assignee: Some(_) } => News::Assigned,
        Change::Routed { from: Some(_), .. } | Change::Moved { .. } => News::HandedOver,
        Change::Routed { assignee: Some(_), .. } if entry.status == Status::Assigned => News::Assigned,
        Change::Scheduled { at } => News::Scheduled(*at),
        Change::StatusChanged { to: Status::Closed, resolution, referral, .. } => {
            News::Closed(*resolution, referral.as_deref())
        }
        Change::StatusChanged { to: Status::Reopened, .. } => News::Reopened,
        // Never the citizen's own words back to them: only that the request is open again.
        Change::CitizenUpdate { reopened: true, .. } => News::Reopened,
        Change::StatusChanged { to, .. } => News::Status(*to),
        Change::Noted { text } => News::Note(text),
        Change::MergedInto { parent } => News::Merged(parent.as_str()),
        Change::Assigned { assignee: None }
        | Change::Routed { .. }
        | Change::Recategorized { .. }
        | Change::Absorbed { .. }
        | Change::PhotoAdded { .. }
        | Change::PhotoRefused { .. }
        | Change::PhotoHidden { .. }
        | Change::Messaged { .. }
        | Change::CitizenUpdate { .. }
        | Change::CitizenMessage { .. }
        | Change::Located { .. }
        | Change::Redacted { .. }
        | Change::RequestHidden { .. } => return None,
    })
}

pub(crate) fn status_word(status: Status, language: Language) -> &'static str {
    match (language, status) {
        (Language::En, Status::Submitted) => "received",
        (Language::En, Status::Acknowledged) => "acknowledged",
        (Language::En, Status::Assigned) => "assigned to a crew",
        (Language::En, Status::Scheduled) => "scheduled",
        (Language::En, Status::InProgress) => "in progress",
        (Language::En, Status::Closed) => "closed",
        (Language::En, Status::Reopened) => "reopened",
        (Language::Es, Status::Submitted) => "recibida",
        (Language::Es, Status::Acknowledged) => "revisada",
        (Language::Es, Status::Assigned) => "asignada a un equipo",
        (Language::Es, Status::Scheduled) => "programada",
        (Language::Es, Status::InProgress) => "en curso",
        (Language::Es, Status::Closed) => "cerrada",
        (Language::Es, Status::Reopened) => "reabierta",
    }
}

fn resolution_word(resolution: Resolution, language: Language) -> &'static str {
    match (language, resolution) {
        (Language::En, Resolution::Fixed) => "fixed",
        (Language::En, Resolution::Duplicate) => "a duplicate",
        (Language::En, Resolution::NotOurResponsibility) => "not the town's responsibility",
        (Language::En, Resolution::NoActionNeeded) => "no action needed",
        (Language::En, Resolution::CannotLocate) => "the problem could not be found",
        (Language::En, Resolution::Cancelled) => "cancelled",
        (Language::Es, Resolution::Fixed) => "reparado",
        (Language::Es, Resolution::Duplicate) => "duplicada",
        (Language::Es, Resolution::NotOurResponsibility) => "no corresponde al municipio",
        (Language::Es, Resolution::NoActionNeeded) => "no requiere trabajo",
        (Language::Es, Resolution::CannotLocate) => "no se pudo localizar el problema",
        (Language::Es, Resolution::Cancelled) => "cancelada",
    }
}

/// A day as citizens read it: "Tue Nov 24" / "mar 24 nov".
pub(crate) fn day(at: DateTime<Utc>, timezone: TownZone, language: Language) -> String {
    let local = at.with_timezone(&timezone);
    match language {
        Language::En => local.format("%a %b %-d").to_string(),
        Language::Es => {
            const DAYS: [&str; 7] = ["lun", "mar", "mie", "jue", "vie", "sab", "dom"];
            const MONTHS: [&str; 12] =
                ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
            let weekday =
                DAYS.get(local.weekday().num_days_from_monday() as usize).copied().unwrap_or_default();
            let month = MONTHS.get(local.month0() as usize).copied().unwrap_or_default();
            format!("{weekday} {} {month}", local.day())
        }
    }
}

/// A day and time: "Tue Nov 24, 5:00 PM" / "mar 24 nov, 17:00".
fn moment(at: DateTime<Utc>, timezone: TownZone, language: Language) -> String {
    let local = at.with_timezone(&timezone);
    match language {
        Language::En => format!("{}, {}", day(at, timezone, language), local.format("%-I:%M %p")),
        Language::Es => format!("{}, {:02}:{:02}", day(at, timezone, language), local.hour(), local.minute()),
    }
}

/// The headline: what happened, in a sentence.
fn headline(news: &News<'_>, context: &Context<'_>) -> String {
    let (language, ticket) = (context.language, context.ticket);
    let department = context.department.map_or(ticket.department.as_str(), |d| d.name.as_str());
    match (language, news) {
        // A message by email or text: staff pick its service, and answering adds to it.
        (Language::En, News::Received)
            if ticket.service_code == crate::domain::conversation::TRIAGE_SERVICE =>
        {
            "We got your message. Staff will look at it soon; reply to add anything.".to_owned()
        }
        (Language::Es, News::Received)
            if ticket.service_code == crate::domain::conversation::TRIAGE_SERVICE =>
        {
            "Recibimos su mensaje. El personal lo revisará pronto; responda para añadir algo.".to_owned()
        }
        (Language::En, News::Received) => format!("We got your {} request.", ticket.service_name),
        (Language::Es, News::Received) => format!("Recibimos su solicitud ({}).", ticket.service_name),
        (Language::En, News::Assigned) => format!("Assigned to a {department} crew."),
        (Language::Es, News::Assigned) => format!("Asignada a un equipo de {department}."),
        (Language::En, News::Scheduled(at)) => {
            format!("Work scheduled for {}.", day(*at, context.timezone, language))
        }
        (Language::Es, News::Scheduled(at)) => {
            format!("Trabajo programado para el {}.", day(*at, context.timezone, language))
        }
        (_, News::Status(status)) if language == Language::En => {
            format!("Now {}.", status_word(*status, language))
        }
        (_, News::Status(status)) => format!("Ahora {}.", status_word(*status, language)),
        (Language::En, News::Closed(Some(r), _)) => format!("Closed: {}.", resolution_word(*r, language)),
        (Language::Es, News::Closed(Some(r), _)) => format!("Cerrada: {}.", resolution_word(*r, language)),
        (Language::En, News::Closed(None, _)) => "Closed.".into(),
        (Language::Es, News::Closed(None, _)) => "Cerrada.".into(),
        (Language::En, News::Reopened) => "Reopened: we are on it again.".into(),
        (Language::Es, News::Reopened) => "Reabierta: volvemos a trabajar en ella.".into(),
        (Language::En, News::Note(_)) => "Update:".into(),
        (Language::Es, News::Note(_)) => "Novedad:".into(),
        (Language::En, News::Message(_)) => format!("A message from {department}:"),
        (Language::Es, News::Message(_)) => format!("Un mensaje de {department}:"),
        (Language::En, News::HandedOver) => format!("Now handled by {department}."),
        (Language::Es, News::HandedOver) => format!("Ahora la atiende {department}."),
        (Language::En, News::Merged(parent)) => {
            format!("Same problem as request {parent}, which carries on; you will hear about it.")
        }
        (Language::Es, News::Merged(parent)) => {
            format!(
                "Es el mismo problema que la solicitud {parent}, que sigue adelante; le avisaremos de ella."
            )
        }
    }
}

/// The text the change carries for citizens (a public note, a referral).
fn note<'a>(news: &News<'a>) -> Option<&'a str> {
    match news {
        News::Note(text) | News::Message(text) => Some(text),
        News::Closed(_, referral) => *referral,
        _ => None,
    }
}

/// Shortens `text` to at most `max` characters, ending with "..." when cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

impl Notice {
    /// The notice for `context.entry`, if it is news for citizens.
    pub fn compose(context: &Context<'_>) -> Option<Self> {
        let news = news_of(context.entry)?;
        let (language, ticket) = (context.language, context.ticket);
        let headline = headline(&news, context);
        let note = note(&news);
        let prefix = format!("{} 311 {}: ", context.town, ticket.id);
        let contact = context.department.map(|d| format!(" {} {}.", d.name, d.phone)).unwrap_or_default();
        let link = context.status_url.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        // The SMS: prefix, headline, the note (cut to fit), the contact, the link; the note is
        // cut first, then the contact dropped, to stay within one segment where possible.
        let answer = answer_line(&news, context);
        let sms = if let (News::Message(text), Some(answer)) = (&news, &answer) {
            // Staff's words are never cut; the way to answer comes before the link.
            format!("{prefix}{headline} {} {answer}{link}", text.trim())
        } else {
            let fixed = prefix.chars().count() + headline.chars().count() + link.chars().count();
            let with_contact = fixed + contact.chars().count();
            let room = |used: usize| SMS_SEGMENT.saturating_sub(used + 1);
            match note {
                None if with_contact <= SMS_SEGMENT => format!("{prefix}{headline}{contact}{link}"),
                None => format!("{prefix}{headline}{link}"),
                Some(text) if room(with_contact) >= 40 => {
                    format!("{prefix}{headline} {}{contact}{link}", shorten(text, room(with_contact)))
                }
                Some(text) => format!("{prefix}{headline} {}{link}", shorten(text, room(fixed).max(40))),
            }
        };
        // As the change left it: a late notice does not speak of later changes.
        let status = status_word(context.entry.status, language);
        let subject = match language {
            Language::En => format!("{} 311: request {} {status}", context.town, ticket.id),
            Language::Es => format!("{} 311: solicitud {} {status}", context.town, ticket.id),
        };
        let mut body = format!("{headline}\n");
        if let Some(text) = note {
            body.push_str(&format!("\n{}\n", text.trim()));
        }
        if let Some(answer) = &answer {
            body.push_str(&format!("\n{answer}\n"));
        }
        let labels = match language {
            Language::En => ["Request", "Status", "Expected by", "Handled by", "Follow it"],
            Language::Es => ["Solicitud", "Estado", "Fecha prevista", "La atiende", "Siga su estado"],
        };
        body.push_str(&format!("\n{}: {} ({})\n", labels[0], ticket.id, ticket.service_name));
        body.push_str(&format!("{}: {status}\n", labels[1]));
        if let Some(expected) = ticket.expected_at.filter(|_| context.entry.status.is_open()) {
            body.push_str(&format!("{}: {}\n", labels[2], moment(expected, context.timezone, language)));
        }
        if let Some(d) = context.department {
            body.push_str(&format!("{}: {}, {}, {}\n", labels[3], d.name, d.phone, d.email));
        }
        if let Some(url) = &context.status_url {
            body.push_str(&format!("{}: {url}\n", labels[4]));
        }
        Some(Self { sms, subject, body })
    }
}

/// How to answer a message (it asks something): by replying, when the channel takes answers,
/// else by the department's phone and email.
fn answer_line(news: &News<'_>, context: &Context<'_>) -> Option<String> {
    let News::Message(_) = news else { return None };
    if context.replies {
        return Some(match context.language {
            Language::En => "To answer, reply to this message.".to_owned(),
            Language::Es => "Para responder, conteste a este mensaje.".to_owned(),
        });
    }
    let department = context.department?;
    Some(match context.language {
        Language::En => format!("To answer, call {} or write to {}.", department.phone, department.email),
        Language::Es => {
            format!("Para responder, llame al {} o escriba a {}.", department.phone, department.email)
        }
    })
}

/// The one message a follow sends: a link to confirm it, worded so that someone who did not
/// ask can simply ignore it.
pub fn confirmation(town: &str, ticket_id: &str, language: Language, confirm_url: &str) -> Notice {
    match language {
        Language::En => Notice {
            sms: format!(
                "{town} 311: confirm updates on request {ticket_id}: {confirm_url} Not you? Ignore this."
            ),
            subject: format!("{town} 311: confirm updates on request {ticket_id}"),
            body: format!(
                "Someone asked for updates on {town} 311 request {ticket_id} to be sent to this address.\n\n\
                 To get them, confirm within {hours} hours: {confirm_url}\n\n\
                 If it was not you, ignore this message: you will get nothing more about it.\n",
                hours = crate::domain::follower::CONFIRM_WITHIN_HOURS
            ),
        },
        Language::Es => Notice {
            sms: format!(
                "{town} 311: confirme avisos de la solicitud {ticket_id}: {confirm_url} ¿No fue usted? Ignórelo."
            ),
            subject: format!("{town} 311: confirme los avisos de la solicitud {ticket_id}"),
            body: format!(
                "Alguien pidió que los avisos de la solicitud {ticket_id} de {town} 311 lleguen a esta dirección.\n\n\
                 Para recibirlos, confirme en {hours} horas: {confirm_url}\n\n\
                 Si no fue usted, ignore este mensaje: no recibirá nada más sobre ella.\n",
                hours = crate::domain::follower::CONFIRM_WITHIN_HOURS
            ),
        },
    }
}

/// How long the unsubscribe link an email carries works.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 365;

/// The email footer: why they get this, and the one-click way out.
pub fn footer(language: Language, unsubscribe_url: &str) -> String {
    match language {
        Language::En => format!(
            "\n--\nYou get this because you reported or follow this request.\nStop emails about it and remove your contact from it: {unsubscribe_url}\n"
        ),
        Language::Es => format!(
            "\n--\nLe llega porque hizo o sigue esta solicitud.\nDejar de recibir correos sobre ella y borrar su contacto: {unsubscribe_url}\n"
        ),
    }
}

/// Whether a text fits GSM-7, the SMS alphabet that gives 160 characters a segment.
pub fn is_gsm7(text: &str) -> bool {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€";
    text.chars().all(|c| GSM.contains(c))
}

#[cfg(test)]
mod tests;
