//! Reading a citizen's answers to a service's questions: forgiving of how people and apps
//! spell numbers, dates and choices, refusing only what is no answer at all, and naming the
//! question when it does.

use crate::domain::catalog::{Answers, AttributeChoice, Datatype, Service, ServiceAttribute, Stopper};
use crate::domain::zone::TownZone;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone};

/// Why an answer was refused; always names the attribute, except a stop-and-call answer,
/// which says only what the town wants the citizen to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("attribute[{0}] is required")]
    Missing(String),
    #[error("attribute[{0}] must be a number, like 3 or 4.5")]
    NotANumber(String),
    #[error("attribute[{0}] must be a date, like 2026-11-22, or a date and time, like 2026-11-22T09:30")]
    NotADatetime(String),
    #[error("attribute[{code}] must be one of: {allowed}")]
    NotAChoice { code: String, allowed: String },
    #[error("attribute[{0}] takes a single value")]
    SeveralValues(String),
    #[error("attribute[{0}] is too long (at most 4000 characters)")]
    TooLong(String),
    /// The citizen should call instead: the text is the town's own words.
    #[error("{}", .0.text)]
    Stop(Stopper),
}

const MAX_ANSWER_CHARS: usize = 4000;

impl Service {
    /// Checks a submission's answers against this service's questions and returns them as the
    /// town keeps them: numbers plainly written, dates as instants with their offset (a date
    /// or time without a zone is read in the town's `timezone`), choices by key. Codes the
    /// service does not ask about are dropped (clients send extra ones), and so are answers
    /// to questions their condition does not ask; empty answers count as absent.
    pub fn check_answers(&self, given: &Answers, timezone: TownZone) -> Result<Answers, AnswerError> {
        let mut questions: Vec<&ServiceAttribute> = self.attributes.iter().filter(|a| a.variable).collect();
        // Conditions point at earlier questions (the catalog checks it): answer in order.
        questions.sort_by_key(|a| a.order);
        let mut kept = Answers::new();
        for attribute in questions {
            if let Some(condition) = &attribute.shown_if {
                let answered = kept.get(&condition.attribute).into_iter().flatten();
                if !answered.into_iter().any(|key| condition.values.contains(key)) {
                    continue;
                }
            }
            let values: Vec<&str> = given
                .get(&attribute.code)
                .into_iter()
                .flatten()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                if attribute.required {
                    return Err(AnswerError::Missing(attribute.code.clone()));
                }
                continue;
            }
            let read = attribute.read(&values, timezone)?;
            kept.insert(attribute.code.clone(), read);
        }
        if let Some(stop) = self.stopper_among(&kept) {
            return Err(AnswerError::Stop(stop.clone()));
        }
        Ok(kept)
    }

    /// The first stop-and-call answer among `answers`, in question order.
    fn stopper_among(&self, answers: &Answers) -> Option<&Stopper> {
        self.attributes.iter().find_map(|attribute| {
            let chosen = answers.get(&attribute.code)?;
            attribute.values.iter().filter(|c| chosen.contains(&c.key)).find_map(|c| c.stop.as_ref())
        })
    }
}

impl ServiceAttribute {
    fn read(&self, values: &[&str], timezone: TownZone) -> Result<Vec<String>, AnswerError> {
        let code = || self.code.clone();
        if self.datatype != Datatype::Multivaluelist && values.len() > 1 {
            return Err(AnswerError::SeveralValues(code()));
        }
        let mut read = Vec::with_capacity(values.len());
        for value in values {
            if value.chars().count() > MAX_ANSWER_CHARS {
                return Err(AnswerError::TooLong(code()));
            }
            let value = match self.datatype {
                Datatype::String | Datatype::Text => (*value).to_owned(),
                Datatype::Number => read_number(value).ok_or_else(|| AnswerError::NotANumber(code()))?,
                Datatype::Datetime => read_datetime(value, timezone)
                    .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
                    .ok_or_else(|| AnswerError::NotADatetime(code()))?,
                Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                    self.choice(value).map(|c| c.key.clone()).ok_or_else(|| AnswerError::NotAChoice {
                        code: code(),
                        allowed: self.values.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", "),
                    })?
                }
            };
            // A choice named twice (by key and by name) is one answer.
            if !read.contains(&value) {
                read.push(value);
            }
        }
        Ok(read)
    }

    /// The choice `value` names: by its key, or (as people and some apps send it) by its key
    /// or its name in any case and spacing.
    fn choice(&self, value: &str) -> Option<&AttributeChoice> {
        let loose = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let wanted = loose(value);
        self.values
            .iter()
            .find(|c| c.key == value)
            .or_else(|| self.values.iter().find(|c| loose(&c.key) == wanted))
            .or_else(|| self.values.iter().find(|c| loose(&c.name) == wanted))
    }
}

/// A number as people type it: ` 3 `, `4.5`, `1,5` (a decimal comma), `1,500` or `1,500.25`
/// (thousands). `None` for anything else. Written back plainly: `3`, `4.5`, `1.5`, `1500`.
pub fn read_number(text: &str) -> Option<String> {
    let text = text.trim();
    let commas = text.matches(',').count();
    let plain = if commas == 0 {
        text.to_owned()
    } else if text.contains('.')
        || commas > 1
        || text.split_once(',').is_some_and(|(_, after)| after.len() == 3)
    {
        // Thousands separators: every group after a comma has three digits.
        let groups: Vec<&str> = text.split(',').collect();
        let grouped = groups.iter().skip(1).all(|g| g.split('.').next().is_some_and(|d| d.len() == 3));
        if !grouped {
            return None;
        }
        text.replace(',', "")
    } else {
        text.replacen(',', ".", 1)
    };
    if !plain.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        return None;
    }
    let number = plain.parse::<f64>().ok().filter(|n| n.is_finite())?;
    Some(if number.fract() == 0.0 && number.abs() < 1e15 {
        // Whole and small enough to be exact as an integer.
        format!("{}", number as i64)
    } else {
        number.to_string()
    })
}

/// A date and time as apps and browsers send it: an instant with a zone
/// (`2026-11-22T09:30:00-05:00`, `…Z`), a local date and time (`2026-11-22T09:30`, a browser's
/// `datetime-local`; `2026-11-22 09:30:00`), or a date (`2026-11-22`, read as its start). Times
/// without a zone are the town's. Years 1970 to 9999 only.
pub fn read_datetime(text: &str, timezone: TownZone) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        at
    } else if let Some(local) = local_datetime(text) {
        // A time that a change of clocks skips is read an hour later, as the clock showed it.
        let zoned = timezone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| timezone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())?;
        zoned.fixed_offset()
    } else {
        return None;
    };
    (1970..=9999).contains(&chrono::Datelike::year(&at)).then_some(at)
}

fn local_datetime(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] =
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|day| day.and_time(NaiveTime::MIN)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{Condition, ServiceType};
    fn new_york() -> TownZone {
        TownZone::named("America/New_York").unwrap()
    }

    fn attribute(code: &str, datatype: Datatype, required: bool) -> ServiceAttribute {
        ServiceAttribute {
            code: code.into(),
            variable: true,
            datatype,
            required,
            datatype_description: String::new(),
            order: 1,
            description: code.into(),
            values: ["small", "large"]
                .iter()
                .map(|k| AttributeChoice { key: (*k).into(), name: format!("A {k} one"), stop: None })
                .collect(),
            shown_if: None,
        }
    }

    fn service(mut attributes: Vec<ServiceAttribute>) -> Service {
        for (i, a) in attributes.iter_mut().enumerate() {
            a.order = i as u32 + 1;
        }
        Service {
            code: "POTHOLE".into(),
            name: "Pothole".into(),
            description: String::new(),
            group: "Streets".into(),
            keywords: vec![],
            department: "DPW".into(),
            kind: ServiceType::Realtime,
            attributes,
            target: None,
            location: Default::default(),
            private: false,
            stop: None,
        }
    }

    fn answers(pairs: &[(&str, &[&str])]) -> Answers {
        pairs.iter().map(|(k, v)| ((*k).into(), v.iter().map(|s| (*s).into()).collect())).collect()
    }

    fn check(s: &Service, pairs: &[(&str, &[&str])]) -> Result<Answers, AnswerError> {
        s.check_answers(&answers(pairs), new_york())
    }

    #[test]
    fn required_answers_must_be_present_and_non_empty() {
        let s = service(vec![attribute("SIZE", Datatype::Singlevaluelist, true)]);
        assert_eq!(check(&s, &[]), Err(AnswerError::Missing("SIZE".into())));
        assert_eq!(check(&s, &[("SIZE", &[" "])]), Err(AnswerError::Missing("SIZE".into())));
    }

    #[test]
    fn unknown_codes_and_empty_optional_answers_are_dropped() {
        let s = service(vec![attribute("DEPTH", Datatype::Number, false)]);
        assert!(check(&s, &[("uprn", &["123"]), ("DEPTH", &[""])]).unwrap().is_empty());
    }

    #[test]
    fn what_is_no_answer_at_all_is_refused_by_name() {
        let s = service(vec![
            attribute("DEPTH", Datatype::Number, false),
            attribute("SEEN", Datatype::Datetime, false),
            attribute("SIZE", Datatype::Singlevaluelist, false),
        ]);
        assert_eq!(check(&s, &[("DEPTH", &["deep"])]), Err(AnswerError::NotANumber("DEPTH".into())));
        assert_eq!(check(&s, &[("SEEN", &["yesterday"])]), Err(AnswerError::NotADatetime("SEEN".into())));
        assert!(matches!(check(&s, &[("SIZE", &["huge"])]), Err(AnswerError::NotAChoice { .. })));
        assert_eq!(
            check(&s, &[("SIZE", &["small", "large"])]),
            Err(AnswerError::SeveralValues("SIZE".into()))
        );
        assert!(AnswerError::NotADatetime("SEEN".into()).to_string().starts_with("attribute[SEEN]"));
    }

    #[test]
    fn numbers_are_read_as_people_type_them() {
        for (typed, kept) in [
            (" 3 ", "3"),
            ("4.5", "4.5"),
            ("1,5", "1.5"),
            ("1,500", "1500"),
            ("1,500.25", "1500.25"),
            ("+2", "2"),
        ] {
            assert_eq!(read_number(typed).as_deref(), Some(kept), "{typed}");
        }
        for bad in ["deep", "1,5,0", "1.5,5", "NaN", "inf", "", "1e999", "0x10", "1 2"] {
            assert_eq!(read_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_read_in_every_usual_spelling() {
        let s = service(vec![attribute("SEEN", Datatype::Datetime, true)]);
        for (typed, kept) in [
            ("2026-11-22T09:30:00-05:00", "2026-11-22T09:30:00-05:00"),
            ("2026-11-22T14:30:00Z", "2026-11-22T14:30:00Z"),
            ("2026-11-22T09:30", "2026-11-22T09:30:00-05:00"),
            ("2026-11-22 09:30:00", "2026-11-22T09:30:00-05:00"),
            ("2026-11-22", "2026-11-22T00:00:00-05:00"),
            ("2026-07-04T12:00", "2026-07-04T12:00:00-04:00"),
            // 02:30 does not happen on 2026-03-08 in New York: read as the clock then showed it.
            ("2026-03-08T02:30", "2026-03-08T03:30:00-04:00"),
        ] {
            assert_eq!(check(&s, &[("SEEN", &[typed])]).unwrap()["SEEN"], vec![kept], "{typed}");
        }
        for bad in ["22/11/2026", "2026-13-01", "0001-01-01", "tomorrow", "2026-11-22T25:00"] {
            assert_eq!(read_datetime(bad, new_york()), None, "{bad}");
        }
    }

    #[test]
    fn choices_are_read_by_key_or_by_name() {
        let s = service(vec![attribute("SIZE", Datatype::Multivaluelist, false)]);
        let kept = check(&s, &[("SIZE", &["LARGE", " a  small one ", "large"])]).unwrap();
        assert_eq!(kept["SIZE"], vec!["large", "small"]);
    }

    #[test]
    fn a_condition_asks_a_question_only_when_it_holds() {
        let mut why = attribute("WHY", Datatype::String, true);
        why.shown_if = Some(Condition { attribute: "SIZE".into(), values: vec!["large".into()] });
        let s = service(vec![attribute("SIZE", Datatype::Singlevaluelist, false), why]);
        assert_eq!(check(&s, &[("SIZE", &["large"])]), Err(AnswerError::Missing("WHY".into())));
        let kept = check(&s, &[("SIZE", &["small"]), ("WHY", &["ignored"])]).unwrap();
        assert!(!kept.contains_key("WHY"), "an answer to a question not asked is dropped");
        assert!(check(&s, &[]).unwrap().is_empty());
        assert_eq!(
            check(&s, &[("SIZE", &["A large one"]), ("WHY", &["deep"])]).unwrap()["WHY"],
            vec!["deep"]
        );
    }

    #[test]
    fn a_stop_and_call_answer_is_refused_with_its_own_words() {
        let mut size = attribute("SIZE", Datatype::Singlevaluelist, false);
        let words = "A hole this big is an emergency: call (555) 010-2100 now.";
        size.values[1].stop = Some(Stopper { text: words.into(), phone: Some("(555) 010-2100".into()) });
        let s = service(vec![size]);
        let refused = check(&s, &[("SIZE", &["large"])]).unwrap_err();
        assert_eq!(refused.to_string(), words);
        assert!(check(&s, &[("SIZE", &["small"])]).is_ok());
    }

    #[test]
    fn informational_attributes_ask_nothing() {
        let mut note = attribute("NOTE", Datatype::Text, true);
        note.variable = false;
        assert!(check(&service(vec![note]), &[]).unwrap().is_empty());
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_is_an_answer_or_refused(text in hostile::text()) {
                if let Some(n) = read_number(&text) {
                    prop_assert!(n.parse::<f64>().is_ok_and(f64::is_finite));
                }
                if let Some(at) = read_datetime(&text, new_york()) {
                    prop_assert!(DateTime::parse_from_rfc3339(&at.to_rfc3339()).is_ok());
                }
            }
        }
    }
}
