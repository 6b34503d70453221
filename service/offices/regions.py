"""Kazakhstan's regions (oblasts, as of the 2022 reform) and three cities of republican status,
with their names in Russian, Kazakh and English (the official forms, as akimats write them)."""

from enum import StrEnum


class Region(StrEnum):
    astana = "astana"
    almaty_city = "almaty_city"
    shymkent = "shymkent"
    abai = "abai"
    akmola = "akmola"
    aktobe = "aktobe"
    almaty_region = "almaty_region"
    atyrau = "atyrau"
    east_kazakhstan = "east_kazakhstan"
    jambyl = "jambyl"
    jetisu = "jetisu"
    karaganda = "karaganda"
    kostanay = "kostanay"
    kyzylorda = "kyzylorda"
    mangystau = "mangystau"
    north_kazakhstan = "north_kazakhstan"
    pavlodar = "pavlodar"
    turkistan = "turkistan"
    ulytau = "ulytau"
    west_kazakhstan = "west_kazakhstan"


REGION_NAMES_RU: dict[Region, str] = {
    Region.astana: "г. Астана",
    Region.almaty_city: "г. Алматы",
    Region.shymkent: "г. Шымкент",
    Region.abai: "Абайская область",
    Region.akmola: "Акмолинская область",
    Region.aktobe: "Актюбинская область",
    Region.almaty_region: "Алматинская область",
    Region.atyrau: "Атырауская область",
    Region.east_kazakhstan: "Восточно-Казахстанская область",
    Region.jambyl: "Жамбылская область",
    Region.jetisu: "Область Жетісу",
    Region.karaganda: "Карагандинская область",
    Region.kostanay: "Костанайская область",
    Region.kyzylorda: "Кызылординская область",
    Region.mangystau: "Мангистауская область",
    Region.north_kazakhstan: "Северо-Казахстанская область",
    Region.pavlodar: "Павлодарская область",
    Region.turkistan: "Туркестанская область",
    Region.ulytau: "Область Ұлытау",
    Region.west_kazakhstan: "Западно-Казахстанская область",
}
REGION_NAMES_KK: dict[Region, str] = {
    Region.astana: "Астана қ.",
    Region.almaty_city: "Алматы қ.",
    Region.shymkent: "Шымкент қ.",
    Region.abai: "Абай облысы",
    Region.akmola: "Ақмола облысы",
    Region.aktobe: "Ақтөбе облысы",
    Region.almaty_region: "Алматы облысы",
    Region.atyrau: "Атырау облысы",
    Region.east_kazakhstan: "Шығыс Қазақстан облысы",
    Region.jambyl: "Жамбыл облысы",
    Region.jetisu: "Жетісу облысы",
    Region.karaganda: "Қарағанды облысы",
    Region.kostanay: "Қостанай облысы",
    Region.kyzylorda: "Қызылорда облысы",
    Region.mangystau: "Маңғыстау облысы",
    Region.north_kazakhstan: "Солтүстік Қазақстан облысы",
    Region.pavlodar: "Павлодар облысы",
    Region.turkistan: "Түркістан облысы",
    Region.ulytau: "Ұлытау облысы",
    Region.west_kazakhstan: "Батыс Қазақстан облысы",
}
REGION_NAMES_EN: dict[Region, str] = {
    Region.astana: "Astana",
    Region.almaty_city: "Almaty",
    Region.shymkent: "Shymkent",
    Region.abai: "Abai Region",
    Region.akmola: "Akmola Region",
    Region.aktobe: "Aktobe Region",
    Region.almaty_region: "Almaty Region",
    Region.atyrau: "Atyrau Region",
    Region.east_kazakhstan: "East Kazakhstan Region",
    Region.jambyl: "Jambyl Region",
    Region.jetisu: "Jetisu Region",
    Region.karaganda: "Karaganda Region",
    Region.kostanay: "Kostanay Region",
    Region.kyzylorda: "Kyzylorda Region",
    Region.mangystau: "Mangystau Region",
    Region.north_kazakhstan: "North Kazakhstan Region",
    Region.pavlodar: "Pavlodar Region",
    Region.turkistan: "Turkistan Region",
    Region.ulytau: "Ulytau Region",
    Region.west_kazakhstan: "West Kazakhstan Region",
}
_NAMES = {"ru": REGION_NAMES_RU, "kk": REGION_NAMES_KK, "en": REGION_NAMES_EN}


def region_names(language: str) -> dict[Region, str]:
    """Every region's name in ``language`` (ru, kk or en; Russian for any other)."""
    return _NAMES.get(language, REGION_NAMES_RU)
