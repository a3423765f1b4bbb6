use super::*;
use chrono::TimeZone;

fn key() -> ReplyKey {
    ReplyKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
}

#[test]
fn a_reply_address_leads_back_to_its_ticket_in_any_case() {
    let ticket = TicketId::parse("K7QM-3XPR").unwrap();
    let local = key().local_part(&ticket, at(1));
    assert!(local.starts_with("reply-k7qm3xpr-"), "{local}");
    assert_eq!(key().read(&local, at(2)), Some(Ok(ticket.clone())));
    assert_eq!(key().read(&local.to_ascii_uppercase(), at(2)), Some(Ok(ticket)));
}

#[test]
fn an_altered_or_made_up_reply_address_is_forged() {
    let ticket = TicketId::parse("K7QM-3XPR").unwrap();
    let local = key().local_part(&ticket, at(1));
    let other = local.replace("k7qm3xpr", "k7qm3xps");
    assert_eq!(key().read(&other, at(2)), Some(Err(ReplyRefusal::Forged)));
    let mut flipped = local.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_eq!(key().read(&flipped, at(2)), Some(Err(ReplyRefusal::Forged)));
    assert_eq!(key().read("reply-k7qm3xpr-20000", at(2)), Some(Err(ReplyRefusal::Forged)));
    let other_key = ReplyKey::new(b"another secret of thirty-two bytes!!").unwrap();
    assert_eq!(other_key.read(&local, at(2)), Some(Err(ReplyRefusal::Forged)));
    assert_eq!(key().read("report", at(2)), None);
    assert_eq!(key().read("publicworks", at(2)), None);
}

#[test]
fn a_reply_address_goes_stale_after_its_days() {
    let ticket = TicketId::parse("K7QM-3XPR").unwrap();
    let local = key().local_part(&ticket, at(1));
    let later = at(1) + Duration::days(REPLY_VALID_DAYS + 1);
    assert_eq!(key().read(&local, later), Some(Err(ReplyRefusal::Stale)));
    assert_eq!(key().read(&local, at(1) + Duration::days(REPLY_VALID_DAYS - 1)), Some(Ok(ticket)));
}

#[test]
fn a_short_secret_is_refused() {
    assert!(ReplyKey::new(b"short").is_err());
    assert_eq!(format!("{:?}", key()), "ReplyKey(..)");
}

#[test]
fn quoted_history_and_signatures_are_taken_out() {
    let gmail = "The east side, by the hydrant.\r\n\r\nThanks,\r\nAna\r\n\r\nOn Mon, Nov 30, 2026 at 9:00 AM Millbrook 311 <reply-x@311.millbrook.example> wrote:\r\n> A message from Public Works:\r\n> Which side of the street?\r\n";
    assert_eq!(answer_text(gmail), "The east side, by the hydrant.\n\nThanks,\nAna");
    let wrapped = "East side.\nOn Mon, Nov 30, 2026 at 9:00 AM Millbrook 311\n<reply-x@311.millbrook.example> wrote:\n> old";
    assert_eq!(answer_text(wrapped), "East side.");
    let outlook =
        "It is still there.\n\n________________________________\nFrom: Millbrook 311\nSent: Monday\n";
    assert_eq!(answer_text(outlook), "It is still there.");
    let signed = "Near the school.\n-- \nAna Ruiz\n555-0100";
    assert_eq!(answer_text(signed), "Near the school.");
    let phone = "Yes\n\nSent from my iPhone";
    assert_eq!(answer_text(phone), "Yes");
    let spanish = "Lado este.\n\nEl lun, 30 nov 2026 a las 9:00, Millbrook 311 escribió:\n> ¿Qué lado?";
    assert_eq!(answer_text(spanish), "Lado este.");
    let inline = "> Which side?\nEast.\n> When?\nTomorrow.";
    assert_eq!(answer_text(inline), "East.\nTomorrow.");
}

#[test]
fn an_answer_is_bounded_and_has_no_control_characters() {
    let long = "a".repeat(MAX_ANSWER_CHARS * 2);
    let text = answer_text(&long);
    assert_eq!(text.chars().count(), MAX_ANSWER_CHARS);
    assert!(text.ends_with('…'));
    assert_eq!(answer_text("bell\u{7} here\u{1b}[31m"), "bell  here [31m");
}

#[test]
fn the_language_is_told_by_the_mail_or_the_words() {
    assert_eq!(language_of("anything", Some("es-MX")), Language::Es);
    assert_eq!(language_of("Hay un bache en la calle, por favor", None), Language::Es);
    assert_eq!(language_of("There is a pothole on the street", None), Language::En);
    assert_eq!(language_of("", None), Language::En);
}

#[test]
fn carrier_keywords_are_not_messages() {
    for word in ["STOP", "stop", " Help ", "START", "Alto."] {
        assert!(is_keyword(word), "{word}");
    }
    assert!(!is_keyword("stop sign is down"));
}

#[test]
fn a_ticket_number_is_found_in_a_subject() {
    let id = TicketId::parse("K7QM-3XPR").unwrap();
    assert_eq!(tickets_mentioned("Re: Millbrook 311: request K7QM-3XPR received"), vec![id.clone()]);
    assert_eq!(tickets_mentioned("about #k7qm3xpr please"), vec![id.clone()]);
    assert_eq!(tickets_mentioned("the streetlight is out"), Vec::<TicketId>::new());
    assert_eq!(tickets_mentioned("Re: Millbrook"), Vec::<TicketId>::new());
    assert_eq!(
        tickets_mentioned("Sidewalk problem"),
        Vec::<TicketId>::new(),
        "an 8-letter word is no number"
    );
    // A number may have no digit at all; written with its dash it is still one.
    let letters = TicketId::parse("DAZT-GZAY").unwrap();
    assert_eq!(tickets_mentioned("Re: DAZT-GZAY"), vec![letters.clone()]);
    // Words that look like one come first sometimes: every candidate is offered, in order.
    assert_eq!(
        tickets_mentioned("road-work near K7QM-3XPR, re K7QM-3XPR"),
        vec![TicketId::parse("ROAD-WORK").unwrap(), id]
    );
}
