"""Kazakhstan's regions (oblasts, as of the 2022 reform) and three cities of republican status."""

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
