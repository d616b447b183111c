"""UN M49 continent of every ISO 3166 territory code in CLDR (label source of the territory task).

Source: Unicode CLDR `common/supplemental/supplementalData.xml`, <territoryContainment>, primary
groups only (status="grouping"/"deprecated" skipped), resolved territory -> subregion -> continent;
read from robertbastian/cldr@8bdce08 (a fork of unicode-org/cldr, content of CLDR ~46/47, which is what
babel 2.18 ships) and cross-checked against unicode-org/cldr@001d131 (identical except CQ, added later).
babel itself ships no containment data (../shared/reference/embedded-pilot.md).
Not contained in any continent, so absent here: EU, EZ, UN (groupings), XA, XB (pseudo), ZZ (unknown),
and QO (the "Outlying Oceania" group itself, not a territory).
"""
from __future__ import annotations

# M49 continent codes: 002 Africa, 019 Americas, 142 Asia, 150 Europe, 009 Oceania.
_CONTINENT_MEMBERS: dict[str, str] = {
    "Africa": "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EA EG EH ER ET GA GH GM GN GQ GW IC IO KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TN TZ UG YT ZA ZM ZW",
    "Americas": "AG AI AR AW BB BL BM BO BQ BR BS BV BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GS GT GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI",
    "Asia": "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE",
    "Europe": "AD AL AT AX BA BE BG BY CH CQ CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
    "Oceania": "AC AQ AS AU CC CK CP CX DG FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TA TK TO TV UM VU WF WS",
}

TERRITORY_CONTINENT: dict[str, str] = {
    code: continent for continent, codes in _CONTINENT_MEMBERS.items() for code in codes.split()
}
