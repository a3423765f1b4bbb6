//! Conversations on the citizen's own channel, on the local stack: staff ask by email and by
//! text, the emulator records what went out, the citizen's answer comes back as AWS delivers it
//! (an email SES stores in the bucket, a text End User Messaging publishes to the inbound
//! topic), lands on the right ticket with its photo processed, and the assignee (or the
//! department) is told; a forged reply address changes nothing; mail to the town's report
//! address opens a request to sort and answers with its number.

use reqwest::Method;
use serde_json::{Value, json};
use town311_local::LOCAL_MAIL_DOMAIN;
use town311_tests::{TestStack, deliver_email, deliver_text, emails_to, spawn, texts_to, unique_phone};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);
const CLERK: &str = "clerk.jones@millbrook.example";

async fn file(stack: &TestStack, contact: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("service_code", "POTHOLE"),
        ("attribute[SIZE]", "large"),
        ("address_string", "12 Elm St"),
        ("description", "Deep hole"),
    ];
    fields.extend_from_slice(contact);
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn act(stack: &TestStack, id: &str, action: Value) {
    let token = stack.token(ADMIN.0, ADMIN.1).await;
    let ticket = stack.ticket_when(id, |_| true).await;
    let mut action = action;
    action["version"] = ticket["ticket"]["version"].clone();
    let path = format!("/staff/v1/tickets/{id}/actions");
    let answer = stack.staff(Method::POST, &path, Some(&token), &[], Some(action)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn citizen_messages(view: &Value) -> Vec<Value> {
    view["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["change"]["type"] == "citizen_message")
        .cloned()
        .collect()
}

fn unique_email(tag: &str) -> String {
    let (phone, _) = unique_phone();
    format!("{tag}-{}@example.org", &phone[2..])
}

fn photo() -> Vec<u8> {
    let image = photo::sample::photo_like(640, 480, 5);
    photo::sample::jpeg_with_exif(&image, 85, 1, Some((42.28, -71.80))).unwrap()
}

/// An email as a mail program writes it: text, the quoted question, and a JPEG attached.
fn answer_mail(from: &str, to: &str, subject: &str, text: &str, jpeg: Option<&[u8]>) -> String {
    use base64::Engine as _;
    let mut raw = format!(
        "From: Ana Ruiz <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"part\"\r\n\r\n\
         --part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\n\
         On Mon, Nov 30, 2026 at 9:00 AM Millbrook 311 wrote:\r\n> Which side of the street?\r\n",
        subject.len()
    );
    if let Some(jpeg) = jpeg {
        let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
        let lines: Vec<&str> =
            encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
        raw.push_str(&format!(
            "--part\r\nContent-Type: image/jpeg; name=\"hole.jpg\"\r\nContent-Disposition: attachment; filename=\"hole.jpg\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            lines.join("\r\n")
        ));
    }
    raw.push_str("--part--\r\n");
    raw
}

#[tokio::test]
async fn staff_ask_by_email_and_the_answer_lands_on_the_ticket_with_its_photo_and_the_assignee_hears() {
    let stack = spawn().await;
    let ana = unique_email("ana");
    let id = file(&stack, &[("email", ana.as_str()), ("notify_by", "email")]).await;
    act(&stack, &id, json!({"action": "assign", "assignee": CLERK})).await;
    act(&stack, &id, json!({"action": "message", "text": "Which side of the street is it on?"})).await;

    // The emulator recorded the question, with the ticket's reply address and how to answer.
    let sent = emails_to(&ana, |m| m.iter().any(|m| m.body.contains("Which side of the street"))).await;
    let question =
        sent.iter().find(|m| m.body.contains("Which side of the street")).expect("the question went out");
    assert!(question.body.contains("To answer, reply to this message."), "{}", question.body);
    let reply_to = question.reply_to.clone();
    assert!(
        reply_to.starts_with("reply-") && reply_to.ends_with(&format!("@{LOCAL_MAIL_DOMAIN}")),
        "a reply address on the town's mail domain: {reply_to:?}"
    );
    assert!(sent.iter().all(|m| m.reply_to == reply_to), "every email of the ticket carries it");
    let view = stack.ticket_when(&id, |v| v["ticket"]["conversation"] == "waiting_for_citizen").await;
    assert!(citizen_messages(&view).is_empty());

    // A forged address first (the ticket's, with its signature changed): it changes nothing.
    let (local, domain) = reply_to.split_once('@').unwrap();
    let flipped = if local.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}@{domain}", &local[..local.len() - 1]);
    assert_ne!(forged, reply_to);
    deliver_email(&stack, &answer_mail(&ana, &forged, "Re: request", "Ignore me: forged", None), "").await;
    // Then the citizen's real answer, with a photo.
    let raw = answer_mail(
        &ana,
        &reply_to,
        &format!("Re: Millbrook 311: request {id}"),
        "The east side, by the hydrant.",
        Some(&photo()),
    );
    deliver_email(&stack, &raw, "").await;

    let view = stack
        .ticket_when(&id, |v| {
            !citizen_messages(v).is_empty() && v["ticket"]["photos"].as_array().is_some_and(|p| !p.is_empty())
        })
        .await;
    let heard = citizen_messages(&view);
    assert_eq!(heard.len(), 1, "the forged one changed nothing: {heard:?}");
    assert_eq!(heard[0]["change"]["text"], "The east side, by the hydrant.", "the quote is taken out");
    assert_eq!(heard[0]["change"]["channel"], "email");
    assert_eq!(heard[0]["actor"]["kind"], "reporter");
    assert_eq!(heard[0]["public"], false);
    assert_eq!(view["ticket"]["conversation"], "citizen_answered");
    let photos = view["ticket"]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0]["hidden"], true, "the citizen did not publish it");
    assert!(photos[0]["key"].as_str().unwrap().starts_with("photos/"), "processed by the photo pipeline");

    // The assignee is told, with a link to the ticket and without the citizen's words.
    let told = emails_to(CLERK, |m| m.iter().any(|m| m.subject.contains(&id))).await;
    let notice = told.iter().find(|m| m.subject.contains(&id)).expect("the assignee is told");
    assert!(notice.subject.contains("the citizen wrote"), "{}", notice.subject);
    assert!(notice.body.contains(&format!("/admin?ticket={id}")), "{}", notice.body);
    assert!(!notice.body.contains("hydrant"));

    // The public record shows none of it.
    let public = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert!(!public.body.contains("hydrant"), "{}", public.body);
}

#[tokio::test]
async fn staff_ask_by_text_and_the_text_back_reaches_the_ticket_and_the_department_hears() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let id = file(&stack, &[("phone", typed.as_str()), ("notify_by", "sms")]).await;
    act(&stack, &id, json!({"action": "message", "text": "Is the hole deeper than a hand?"})).await;
    let texts = texts_to(&phone, |t| t.iter().any(|t| t.contains("deeper than a hand"))).await;
    let question = texts.iter().find(|t| t.contains("deeper than a hand")).expect("the question was texted");
    assert!(question.contains("To answer, reply to this message."), "{question}");

    deliver_text(&stack, &phone, "Yes, much deeper").await;
    let view = stack.ticket_when(&id, |v| !citizen_messages(v).is_empty()).await;
    let heard = citizen_messages(&view);
    assert_eq!(heard[0]["change"]["text"], "Yes, much deeper");
    assert_eq!(heard[0]["change"]["channel"], "sms");
    assert_eq!(heard[0]["actor"]["kind"], "reporter");
    // Nobody has it: Public Works' address is told.
    let told =
        emails_to("publicworks@millbrook.example", |m| m.iter().any(|m| m.subject.contains(&id))).await;
    assert!(told.iter().any(|m| m.subject.contains(&id) && m.subject.contains("the citizen wrote")));
}

#[tokio::test]
async fn mail_to_the_report_address_opens_a_request_to_sort_and_answers_with_its_number() {
    let stack = spawn().await;
    let luis = unique_email("luis");
    let raw = format!(
        "From: Luis <{luis}>\r\nTo: Millbrook 311 <report@{LOCAL_MAIL_DOMAIN}>\r\nSubject: Bache en la calle Elm\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHay un bache muy grande en la calle Elm, por favor.\r\n"
    );
    deliver_email(&stack, &raw, "").await;
    let answer = emails_to(&luis, |m| !m.is_empty()).await;
    assert_eq!(answer.len(), 1, "one automatic answer");
    let subject = &answer[0].subject;
    let id = subject
        .split_whitespace()
        .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
        .unwrap_or_else(|| panic!("the answer names its number: {subject}"))
        .to_owned();
    assert!(subject.contains("solicitud"), "in the sender's language: {subject}");
    assert!(answer[0].reply_to.starts_with("reply-"), "answers find the new ticket");
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["service_code"], "TRIAGE");
    assert_eq!(view["ticket"]["department"], "CLERK");
    assert_eq!(view["ticket"]["channel"], "email");
    assert_eq!(view["ticket"]["private"], true);
    assert!(view["ticket"]["description"].as_str().unwrap().contains("bache muy grande"));
    // Spam is not let in.
    let spam = raw.replace("Bache en la calle Elm", "Cheap pills");
    deliver_email(&stack, &spam, "spam=FAIL").await;
    // Writing again from the same thread adds to the ticket, not a new one.
    let again =
        answer_mail(&luis, &answer[0].reply_to, &format!("Re: {subject}"), "Es frente al número 12.", None);
    deliver_email(&stack, &again, "").await;
    let view = stack.ticket_when(&id, |v| !citizen_messages(v).is_empty()).await;
    assert_eq!(citizen_messages(&view)[0]["change"]["text"], "Es frente al número 12.");
    assert_eq!(emails_to(&luis, |_| true).await.len(), 1, "no second ticket, no spam answered");

    // The clerk sorts it: its service, and where it is.
    act(&stack, &id, json!({"action": "recategorize", "service_code": "POTHOLE"})).await;
    act(&stack, &id, json!({"action": "locate", "address_string": "12 Elm St"})).await;
    let view = stack.ticket_when(&id, |v| v["ticket"]["location"]["address"] == "12 Elm St").await;
    assert_eq!(view["ticket"]["service_code"], "POTHOLE");
    assert_eq!(view["ticket"]["department"], "DPW");
    assert_eq!(view["ticket"]["private"], true, "a person's mail stays out of the public record");
}

#[tokio::test]
async fn an_answer_to_a_stale_reply_address_is_refused_and_told_where_to_write() {
    const SECRET: &str = "conversations-test-secret-0123456789abcdef";
    let stack = town311_tests::spawn_with(&[("ReplySecret", SECRET)]).await;
    let ana = unique_email("ana");
    let id = file(&stack, &[("email", ana.as_str()), ("notify_by", "email")]).await;
    let key = town311::domain::conversation::ReplyKey::new(SECRET.as_bytes()).unwrap();
    let ticket = town311::domain::id::TicketId::parse(&id).unwrap();
    let days = town311::domain::conversation::REPLY_VALID_DAYS + 5;
    let issued = chrono::Utc::now() - chrono::Duration::days(days);
    let stale = format!("{}@{LOCAL_MAIL_DOMAIN}", key.local_part(&ticket, issued));
    deliver_email(&stack, &answer_mail(&ana, &stale, "Re: old", "Is it fixed yet?", None), "").await;
    let told = emails_to(&ana, |m| m.iter().any(|m| m.subject.contains("was not added"))).await;
    let refusal = told.iter().find(|m| m.subject.contains("was not added")).expect("the sender is told");
    assert!(refusal.body.contains(&format!("report@{LOCAL_MAIL_DOMAIN}")), "{}", refusal.body);
    let view = stack.ticket_when(&id, |_| true).await;
    assert!(citizen_messages(&view).is_empty(), "nothing reached the ticket");
}
