//! The people, places and numbers the demo makes up, and the dice it rolls.
//!
//! Everything here is a pure function of a seed and an index, so the same
//! demo comes out every time. Nothing here knows about the service: whether
//! a name, a code or a number is acceptable is checked by the domain
//! validators when the demo's commands run, exactly as for an operator.
//!
//! Mobile numbers: the first thousand people get numbers from Ofcom's drama
//! range (07700 900000 to 07700 900999), which is never issued. Beyond that
//! the demo has to use ordinary mobile prefixes, and those numbers may belong
//! to real people: a demo database must never be given an SMS gateway.
//! Email addresses all use the reserved example domains.

use crate::domain::validate::fold_for_search;

/// A small, fast, well-mixed generator (splitmix64). Not for secrets: the
/// demo wants the opposite of unpredictability.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// A stream for one part of the demo. Each part has its own, so a change
    /// to how tickets are drawn does not reshuffle the people.
    pub fn new(seed: u64, part: &str) -> Dice {
        // FNV-1a of the part's name, folded into the seed.
        let label =
            part.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Dice(seed ^ label)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: u32) -> u32 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u32
    }

    /// A number in `lo..=hi`; gives `lo` when the range is empty.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo { lo } else { lo + self.below(hi - lo + 1) }
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u32) as usize]
    }

    /// An index into a list ordered most common first: early entries come up
    /// far more often, the way Smith does.
    pub fn common(&mut self, len: usize) -> usize {
        let u = self.below(1 << 20) as u64;
        ((u * u * len as u64) >> 40) as usize
    }

    /// An index chosen in proportion to `weights`.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut roll = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }
}

/// First names, most common first. Accents, apostrophes and hyphens on
/// purpose: addresses must fold them ("Siân" becomes "sian").
#[rustfmt::skip]
pub const FIRST_NAMES: &[&str] = &[
    "Jo", "Sarah", "David", "Emma", "John", "Claire", "Mohammed", "Lisa", "Mark", "Karen", "Paul", "Michelle",
    "Sophie", "James", "Rebecca", "Olivia", "Amelia", "Jessica", "Daniel", "Hannah", "Laura", "Gemma", "Nicola",
    "Rachel", "Zoë", "Siân", "Niamh", "Aoife", "Chloé", "Renée", "Seán", "Ffion", "Rhys", "Gareth", "Dafydd",
    "Łukasz", "Małgorzata", "Agnieszka", "Krzysztof", "Zofia", "Ioana", "Andreea", "Mihai", "Priya", "Deepak",
    "Sunita", "Gurpreet", "Harpreet", "Fatima", "Aisha", "Muhammad", "Oluwaseun", "Chinedu", "Adaeze", "Kwame",
    "Abena", "Thanh", "Minh", "Linh", "Wei", "Mei", "José", "João", "Inês", "Grace", "Precious", "Blessing",
    "Tendai", "Mary-Jane", "Anne-Marie", "Sinéad", "Eóin", "Björn", "Marta", "Tomasz",
];

/// Last names, most common first.
#[rustfmt::skip]
pub const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Patel", "Thomas", "Johnson",
    "Roberts", "Khan", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore",
    "Lee", "King", "Baker", "Ali", "Ahmed", "Hussain", "Begum", "Rahman", "Singh", "Kaur", "Sharma", "O'Brien",
    "O'Connor", "O'Neill", "McCarthy", "MacDonald", "Nguyễn", "Trần", "Phạm", "Kowalski", "Nowak", "Wiśniewska",
    "Wójcik", "Popescu", "Ionescu", "Okafor", "Adeyemi", "Mensah", "Osei", "Smith-Jones", "Lloyd-Davies",
    "Da Silva", "dos Santos", "Fernández", "García", "Müller", "Van der Berg", "D'Souza", "ap Dafydd", "Llewellyn",
    "Pryce", "Ní Bhriain", "Ó Súilleabháin", "Żak", "Mitchell", "Kelly", "Cook", "Carter", "Bailey", "Collins",
    "Bell", "Shaw", "Murphy", "Price", "Bennett", "Griffiths",
];

/// For each entry of a name table, the index of the first entry that folds
/// to the same search key ("Zoë" and "Zoe" would share one), so two people
/// can be recognised as having the same name the way the service does.
pub fn fold_ids(names: &[&str]) -> Vec<u16> {
    let folded: Vec<String> = names.iter().map(|n| fold_for_search(n)).collect();
    folded.iter().map(|f| folded.iter().position(|g| g == f).unwrap_or(0) as u16).collect()
}

#[rustfmt::skip]
const TOWNS: &[&str] = &[
    "Leeds", "Bradford", "Harrogate", "Sheffield", "Doncaster", "Bolton", "Wigan", "Preston", "Blackpool",
    "Carlisle", "Durham", "Sunderland", "Gateshead", "Hull", "York", "Lincoln", "Derby", "Nottingham", "Leicester",
    "Coventry", "Walsall", "Dudley", "Stoke-on-Trent", "Shrewsbury", "Hereford", "Worcester", "Gloucester",
    "Swindon", "Bath", "Exeter", "Plymouth", "Truro", "Bournemouth", "Southampton", "Portsmouth", "Brighton",
    "Hastings", "Maidstone", "Canterbury", "Croydon", "Enfield", "Harrow", "Luton", "Bedford", "Norwich", "Ipswich",
    "Colchester", "Chelmsford", "Cambridge", "Peterborough", "Milton Keynes", "Oxford", "Reading", "Slough",
    "King's Lynn", "Southend-on-Sea", "Scarborough", "Whitby",
];

#[rustfmt::skip]
const PLACE_WORDS: &[&str] = &[
    "Rosewood", "Meadowbank", "Oakleigh", "Willow", "Hollybank", "St Anne's", "Abbeyfield", "Brambles", "Cedar",
    "Elmhurst", "Fernlea", "Glenside", "Heatherlea", "Ivydene", "Juniper", "Kingfisher", "Lavender", "Maple",
    "Orchard", "Primrose", "Riverside", "Sycamore", "Thornbury", "Westgate", "Ash Grove", "Beech", "Bluebell",
    "Chestnut", "The Larches", "The Poplars", "Nightingale", "Summerfield", "Hawthorn", "Greenacres",
    "Bright Horizons", "Helping Hands", "Kindred", "Compass", "Harbour", "Evergreen",
];

#[rustfmt::skip]
const KINDS_OF_CARE: &[&str] = &[
    "Care Home", "Nursing Home", "Lodge", "House", "Court", "Manor", "Home Care", "Homecare Ltd",
    "Domiciliary Care", "Care Services", "Supported Living", "Residential Home", "Care Centre",
];

/// A provider's name, e.g. "Rosewood Lodge" or "Compass Home Care (Wigan)".
pub fn provider_name(dice: &mut Dice) -> String {
    let place = dice.pick(PLACE_WORDS);
    let kind = dice.pick(KINDS_OF_CARE);
    if dice.chance(45) { format!("{place} {kind} ({})", dice.pick(TOWNS)) } else { format!("{place} {kind}") }
}

/// A sponsoring organisation's name, e.g. "Harrogate Care Partnership".
pub fn sponsor_name(n: usize) -> String {
    const KINDS: &[&str] = &["Care Partnership", "Social Care Group", "Care Alliance"];
    format!("{} {}", TOWNS[n % TOWNS.len()], KINDS[(n / TOWNS.len()) % KINDS.len()])
}

/// An ODS code in the shapes social care providers have: "V1A2B", "8JT12",
/// "VN3RJ7". Not necessarily unique: the caller keeps drawing until it is.
pub fn ods_code(dice: &mut Dice) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let mut code = String::new();
    match dice.below(10) {
        0..=5 => {
            code.push('V');
            (0..4).for_each(|_| code.push(*dice.pick(ALNUM) as char));
        }
        6..=8 => {
            code.push(char::from(b'1' + dice.below(9) as u8));
            (0..2).for_each(|_| code.push(*dice.pick(LETTERS) as char));
            (0..2).for_each(|_| code.push(char::from(b'0' + dice.below(10) as u8)));
        }
        _ => {
            code.push('V');
            (0..5).for_each(|_| code.push(*dice.pick(ALNUM) as char));
        }
    }
    code
}

/// Mobile prefixes beyond the drama range, none of them 070 (personal) or
/// 076 (pagers), which the service refuses.
#[rustfmt::skip]
const MOBILE_PREFIXES: &[&str] = &[
    "07412", "07507", "07723", "07824", "07911", "07958", "07397", "07480", "07535", "07890", "07976", "07449",
    "07565", "07854", "07309", "07624",
];

/// The `n`th distinct mobile number, written the way people write them.
pub fn mobile(n: u32) -> String {
    let national = if n < 1000 {
        format!("07700900{n:03}")
    } else {
        let j = n - 1000;
        let prefix = MOBILE_PREFIXES[(j as usize) % MOBILE_PREFIXES.len()];
        // An affine map is a bijection on 0..1_000_000 (7_919 is coprime to
        // it), so the numbers look scattered but never repeat.
        let line = (u64::from(j / MOBILE_PREFIXES.len() as u32) * 7_919 + 104_729) % 1_000_000;
        format!("{prefix}{line:06}")
    };
    let (area, rest) = national.split_at(5);
    match n % 5 {
        0 => format!("{area} {rest}"),
        1 => format!("+44 {} {rest}", &area[1..]),
        2 => national,
        3 => format!("+44{}", &national[1..]),
        _ => format!("{area}-{}-{}", &rest[..3], &rest[3..]),
    }
}

/// The personal email a person registered with; unique because it carries `n`.
pub fn registration_email(first: &str, last: &str, n: u32) -> String {
    const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example.co.uk"];
    let squash = |s: &str| fold_for_search(s).replace([' ', '-'], "");
    let (first, last) = (squash(first), squash(last));
    let domain = DOMAINS[(n as usize / 3) % DOMAINS.len()];
    match n % 3 {
        0 => format!("{first}.{last}{n}@{domain}"),
        1 => format!("{}{last}{n}@{domain}", first.chars().next().unwrap_or('x')),
        _ => format!("{first}{n}@{domain}"),
    }
}

/// Shared mailbox purposes: the part after the dot, and how the name reads.
pub const MAILBOX_PURPOSES: &[(&str, &str)] = &[
    ("referrals", "Referrals"),
    ("admin", "Admin"),
    ("office", "Office"),
    ("manager", "Manager"),
    ("nursing", "Nursing Team"),
    ("care-team", "Care Team"),
    ("rota", "Rota"),
    ("finance", "Finance"),
    ("enquiries", "Enquiries"),
    ("deputy", "Deputy Manager"),
    ("nights", "Night Staff"),
    ("discharge", "Hospital Discharge"),
];

/// The part of an organisation's name an address is made from:
/// "St Anne's Care Home (York)" gives "st-annes-care-home".
pub fn address_slug(name: &str) -> String {
    let plain = name.split(" (").next().unwrap_or(name);
    let mut slug = String::new();
    for c in fold_for_search(plain).chars() {
        match c {
            'a'..='z' | '0'..='9' => slug.push(c),
            ' ' | '-' if !slug.ends_with('-') => slug.push('-'),
            _ => {}
        }
    }
    slug.trim_matches('-').chars().take(40).collect::<String>().trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::{Email, Mobile, OdsCode, person_name};

    #[test]
    fn mobiles_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for n in (0..3_000).chain(999_000..1_001_000) {
            let m = Mobile::parse(&mobile(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(seen.insert(m), "mobile {n} repeats");
        }
        assert_eq!(Mobile::parse(&mobile(123)).unwrap().as_str(), "07700900123");
    }

    #[test]
    fn names_codes_and_emails_pass_the_validators() {
        for name in FIRST_NAMES.iter().chain(LAST_NAMES) {
            person_name(name, "name").unwrap();
        }
        let mut dice = Dice::new(7, "test");
        for _ in 0..500 {
            OdsCode::parse(&ods_code(&mut dice)).unwrap();
        }
        Email::parse(&registration_email("Siân", "Ó Súilleabháin", 42)).unwrap();
        assert_eq!(address_slug("St Anne's Care Home (York)"), "st-annes-care-home");
    }

    #[test]
    fn dice_are_repeatable() {
        let roll = |part| {
            let mut d = Dice::new(1, part);
            (0..5).map(|_| d.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(roll("people"), roll("people"));
        assert_ne!(roll("people"), roll("tickets"));
    }
}
