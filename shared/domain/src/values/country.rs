//! Countries as ISO 3166-1 alpha-2 codes.

/// Every officially assigned ISO 3166-1 alpha-2 code (249), in order, and `XK` (Kosovo), which
/// card networks and payment providers use though ISO has not assigned it.
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// Whether `code` (upper case) names a country.
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && CODES.split(' ').any(|known| known == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_codes_are_countries_and_others_are_not() {
        assert_eq!(CODES.split(' ').count(), 250);
        let mut sorted: Vec<&str> = CODES.split(' ').collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 250, "no code twice");
        for code in ["DE", "JP", "US", "GB", "BR", "XK", "AX", "ZW"] {
            assert!(is_country_code(code), "{code}");
        }
        for code in ["ZZ", "XX", "UK", "EU", "AA", "QM", "de", "D", "DEU", ""] {
            assert!(!is_country_code(code), "{code}");
        }
    }
}
