use super::*;

fn e(raw: &str, dc: Option<&str>) -> Result<String, PhoneError> {
    normalize(raw, dc).map(|(n, _)| n.e164)
}

#[test]
fn nanp_forms() {
    for raw in [
        "(617)555-0142",
        "617-555-0142",
        "617.555.0142",
        "1 617 555 0142",
        "+1 (617) 555-0142",
        "001 617 555 0142",
        "011 1 617 555 0142",
    ] {
        assert_eq!(e(raw, Some("US")).unwrap(), "+16175550142", "{raw}");
    }
    assert_eq!(e("555-0142", Some("US")), Err(PhoneError::TooShort));
    assert_eq!(e("555.555.9999", Some("US")), Err(PhoneError::InvalidRange));
    assert_eq!(
        e("(123) 123-1234", Some("US")),
        Err(PhoneError::InvalidRange)
    );
    assert_eq!(
        e("(911) 555-1234", Some("US")),
        Err(PhoneError::InvalidRange)
    );
    assert_eq!(
        e("(617) 155-1234", Some("US")),
        Err(PhoneError::InvalidRange)
    );
    assert_eq!(e("78788788", Some("US")), Err(PhoneError::TooShort));
    assert_eq!(e("1-800-FLOWERS", Some("US")), Err(PhoneError::NotANumber));
    assert_eq!(e("6175550142", None), Err(PhoneError::NoCountry));
    // Canada shares +1: the region comes from the area code.
    let (n, _) = normalize("(604) 555-0199", Some("US")).unwrap();
    assert_eq!(n.country, Some("CA"));
    assert_eq!(n.kind, LineKind::Unknown);
}

#[test]
fn trunk_prefix_countries() {
    assert_eq!(e("07911 123456", Some("GB")).unwrap(), "+447911123456");
    assert_eq!(e("+44 (0)20 7946 0000", None).unwrap(), "+442079460000");
    assert_eq!(e("06 12 34 56 78", Some("FR")).unwrap(), "+33612345678");
    assert_eq!(e("0466123456", Some("FR")).unwrap(), "+33466123456");
    assert_eq!(e("06-12345678", Some("NL")).unwrap(), "+31612345678");
    assert_eq!(e("0151 23456789", Some("DE")).unwrap(), "+4915123456789");
    assert_eq!(e("0412 345 678", Some("AU")).unwrap(), "+61412345678");
    assert_eq!(e("090-1234-5678", Some("JP")).unwrap(), "+819012345678");
    // No trunk prefix: Italian landlines keep the 0, Spanish numbers are 9 digits.
    assert_eq!(e("06 1234 5678", Some("IT")).unwrap(), "+390612345678");
    assert_eq!(e("612 345 678", Some("ES")).unwrap(), "+34612345678");
    assert_eq!(e("0033 1 23 45 67 89", Some("US")).unwrap(), "+33123456789");
    assert_eq!(
        e("0011 44 7911 123456", Some("AU")).unwrap(),
        "+447911123456"
    );
}

#[test]
fn kinds_and_notes() {
    // GB numbers have 7, 9 or 10 national digits: 9 digits starting 78 is in no range.
    assert_eq!(e("0789898989", Some("GB")), Err(PhoneError::InvalidRange));
    // … and 8 digits are a local number without its area code.
    assert_eq!(e("07911 1234", Some("GB")), Err(PhoneError::InvalidRange));
    assert_eq!(e("+44 7911 1234", None), Err(PhoneError::TooShort));
    // Mexico: 10 digits (7 and 8 are local numbers); Australia: 5 to 12 digits but not 11.
    assert_eq!(e("55 1234 567", Some("MX")), Err(PhoneError::TooShort));
    assert_eq!(e("+61 4123 456 7890", None), Err(PhoneError::InvalidLength));
    let (n, notes) = normalize("07911 123456", Some("GB")).unwrap();
    assert_eq!(n.kind, LineKind::Mobile);
    assert!(notes.contains(&Note::DefaultCountryUsed));
    let (n, _) = normalize("0123456789", Some("FR")).unwrap();
    assert_eq!(n.kind, LineKind::Landline);
    let (n, notes) = normalize("447911123456", Some("GB")).unwrap();
    assert_eq!(n.e164, "+447911123456");
    assert!(notes.contains(&Note::MissingPlus));
    let (n, notes) = normalize("7911123456", Some("GB")).unwrap();
    assert_eq!(n.e164, "+447911123456");
    assert!(notes.contains(&Note::NoTrunkPrefix));
    let (n, _) = normalize("0800 123 4567", Some("GB")).unwrap();
    assert_eq!(
        (n.number_type, n.kind),
        (NumberType::TollFree, LineKind::NotSms)
    );
    let (n, _) = normalize("+800 1234 5678", None).unwrap();
    assert_eq!(n.country, None);
}

#[test]
fn display_is_pam_safe() {
    let (n, _) = normalize("608 271 9000", Some("US")).unwrap();
    assert_eq!(n.display("1"), "(608) 271-9000");
    let (n, _) = normalize("+442079460000", None).unwrap();
    assert_eq!(n.display("1"), "+442079460000");
}

#[test]
fn e164_validation() {
    assert!(validate_e164("+16175550142").is_ok());
    assert_eq!(validate_e164("+15555559999"), Err(PhoneError::InvalidRange));
    assert_eq!(
        validate_e164("+6141234567890"),
        Err(PhoneError::InvalidLength)
    );
    assert_eq!(validate_e164("+44791112345"), Err(PhoneError::InvalidRange));
    assert_eq!(validate_e164("6175550142"), Err(PhoneError::NotANumber));
}

#[test]
fn never_panics_on_odd_input() {
    for raw in [
        "+",
        "00",
        "x",
        "++1",
        "0",
        "(",
        "B",
        "C text",
        "1x",
        "+1x2",
        "é",
        "٣٣٣",
        "0011",
        "011",
        "+999999999999999999",
    ] {
        let _ = normalize(raw, Some("GB"));
        let _ = normalize(raw, Some("US"));
        let _ = normalize(raw, Some("AR"));
        let _ = normalize(raw, None);
    }
}
