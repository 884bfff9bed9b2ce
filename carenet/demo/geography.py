"""Real Polish cities for the demo network: voivodeship, approximate centre coordinates, telephone area code,
postal-code prefixes and a few district names (used to name facilities)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CityData:
    name: str
    voivodeship: str
    latitude: float
    longitude: float
    area_code: str
    postal_prefix: str  # the first two digits of the city's postal codes
    districts: tuple[str, ...] = ()
    weight: int = 1  # relative size: how many own centres it gets


CITIES: tuple[CityData, ...] = (
    CityData("Warszawa", "mazowieckie", 52.2297, 21.0122, "22", "0",
             ("Mokotów", "Śródmieście", "Wola", "Ursynów", "Praga-Południe", "Bielany", "Bemowo", "Targówek",
              "Wilanów", "Ochota", "Białołęka", "Żoliborz"), 8),
    CityData("Kraków", "małopolskie", 50.0647, 19.9450, "12", "3",
             ("Stare Miasto", "Kazimierz", "Nowa Huta", "Krowodrza", "Podgórze", "Bronowice"), 4),
    CityData("Wrocław", "dolnośląskie", 51.1079, 17.0385, "71", "5",
             ("Stare Miasto", "Krzyki", "Fabryczna", "Psie Pole", "Śródmieście"), 4),
    CityData("Łódź", "łódzkie", 51.7592, 19.4560, "42", "9",
             ("Śródmieście", "Bałuty", "Widzew", "Polesie", "Górna"), 3),
    CityData("Poznań", "wielkopolskie", 52.4064, 16.9252, "61", "6",
             ("Stare Miasto", "Jeżyce", "Grunwald", "Wilda"), 3),
    CityData("Gdańsk", "pomorskie", 54.3520, 18.6466, "58", "80", ("Wrzeszcz", "Oliwa", "Śródmieście", "Przymorze"), 3),
    CityData("Szczecin", "zachodniopomorskie", 53.4285, 14.5528, "91", "7", ("Centrum", "Pogodno", "Prawobrzeże"), 2),
    CityData("Bydgoszcz", "kujawsko-pomorskie", 53.1235, 18.0084, "52", "85", ("Centrum", "Fordon", "Szwederowo"), 2),
    CityData("Lublin", "lubelskie", 51.2465, 22.5684, "81", "20", ("Śródmieście", "Czuby", "Bronowice"), 2),
    CityData("Katowice", "śląskie", 50.2649, 19.0238, "32", "40", ("Śródmieście", "Ligota", "Brynów"), 2),
    CityData("Białystok", "podlaskie", 53.1325, 23.1688, "85", "15", ("Centrum", "Bojary"), 1),
    CityData("Gdynia", "pomorskie", 54.5189, 18.5305, "58", "81", ("Śródmieście", "Orłowo"), 1),
    CityData("Rzeszów", "podkarpackie", 50.0412, 21.9991, "17", "35", ("Śródmieście", "Nowe Miasto"), 1),
    CityData("Toruń", "kujawsko-pomorskie", 53.0138, 18.5984, "56", "87", ("Stare Miasto", "Bielany"), 1),
    CityData("Kielce", "świętokrzyskie", 50.8661, 20.6286, "41", "25", ("Centrum",), 1),
    CityData("Olsztyn", "warmińsko-mazurskie", 53.7784, 20.4801, "89", "10", ("Centrum", "Jaroty"), 1),
    CityData("Opole", "opolskie", 50.6751, 17.9213, "77", "45", ("Centrum",), 1),
    CityData("Częstochowa", "śląskie", 50.8118, 19.1203, "34", "42"),
    CityData("Radom", "mazowieckie", 51.4027, 21.1471, "48", "26"),
    CityData("Sosnowiec", "śląskie", 50.2863, 19.1041, "32", "41"),
    CityData("Gliwice", "śląskie", 50.2945, 18.6714, "32", "44"),
    CityData("Zabrze", "śląskie", 50.3249, 18.7857, "32", "41"),
    CityData("Bielsko-Biała", "śląskie", 49.8224, 19.0584, "33", "43"),
    CityData("Bytom", "śląskie", 50.3483, 18.9157, "32", "41"),
    CityData("Zielona Góra", "lubuskie", 51.9356, 15.5062, "68", "65"),
    CityData("Rybnik", "śląskie", 50.1022, 18.5463, "32", "44"),
    CityData("Ruda Śląska", "śląskie", 50.2558, 18.8556, "32", "41"),
    CityData("Tychy", "śląskie", 50.1372, 18.9664, "32", "43"),
    CityData("Gorzów Wielkopolski", "lubuskie", 52.7368, 15.2288, "95", "66"),
    CityData("Elbląg", "warmińsko-mazurskie", 54.1522, 19.4088, "55", "82"),
    CityData("Płock", "mazowieckie", 52.5463, 19.7065, "24", "09"),
    CityData("Dąbrowa Górnicza", "śląskie", 50.3217, 19.1949, "32", "41"),
    CityData("Wałbrzych", "dolnośląskie", 50.7714, 16.2843, "74", "58"),
    CityData("Włocławek", "kujawsko-pomorskie", 52.6483, 19.0677, "54", "87"),
    CityData("Tarnów", "małopolskie", 50.0121, 20.9858, "14", "33"),
    CityData("Chorzów", "śląskie", 50.2975, 18.9545, "32", "41"),
    CityData("Koszalin", "zachodniopomorskie", 54.1944, 16.1722, "94", "75"),
    CityData("Kalisz", "wielkopolskie", 51.7611, 18.0910, "62", "62"),
    CityData("Legnica", "dolnośląskie", 51.2070, 16.1553, "76", "59"),
    CityData("Grudziądz", "kujawsko-pomorskie", 53.4837, 18.7536, "56", "86"),
    CityData("Jaworzno", "śląskie", 50.2050, 19.2750, "32", "43"),
    CityData("Słupsk", "pomorskie", 54.4641, 17.0287, "59", "76"),
    CityData("Jastrzębie-Zdrój", "śląskie", 49.9550, 18.5750, "32", "44"),
    CityData("Nowy Sącz", "małopolskie", 49.6218, 20.6970, "18", "33"),
    CityData("Jelenia Góra", "dolnośląskie", 50.9044, 15.7194, "75", "58"),
    CityData("Siedlce", "mazowieckie", 52.1676, 22.2902, "25", "08"),
    CityData("Mysłowice", "śląskie", 50.2081, 19.1663, "32", "41"),
    CityData("Konin", "wielkopolskie", 52.2230, 18.2511, "63", "62"),
    CityData("Piła", "wielkopolskie", 53.1514, 16.7378, "67", "64"),
    CityData("Piotrków Trybunalski", "łódzkie", 51.4053, 19.7030, "44", "97"),
    CityData("Inowrocław", "kujawsko-pomorskie", 52.7978, 18.2610, "52", "88"),
    CityData("Lubin", "dolnośląskie", 51.4000, 16.2015, "76", "59"),
    CityData("Ostrów Wielkopolski", "wielkopolskie", 51.6550, 17.8069, "62", "63"),
    CityData("Suwałki", "podlaskie", 54.1118, 22.9309, "87", "16"),
    CityData("Stargard", "zachodniopomorskie", 53.3364, 15.0498, "91", "73"),
    CityData("Gniezno", "wielkopolskie", 52.5348, 17.5826, "61", "62"),
    CityData("Głogów", "dolnośląskie", 51.6636, 16.0845, "76", "67"),
    CityData("Pruszków", "mazowieckie", 52.1709, 20.8120, "22", "05"),
    CityData("Zamość", "lubelskie", 50.7231, 23.2519, "84", "22"),
    CityData("Łomża", "podlaskie", 53.1781, 22.0590, "86", "18"),
    CityData("Chełm", "lubelskie", 51.1431, 23.4716, "82", "22"),
    CityData("Przemyśl", "podkarpackie", 49.7838, 22.7678, "16", "37"),
    CityData("Leszno", "wielkopolskie", 51.8406, 16.5749, "65", "64"),
    CityData("Ełk", "warmińsko-mazurskie", 53.8281, 22.3647, "87", "19"),
    CityData("Tomaszów Mazowiecki", "łódzkie", 51.5311, 20.0086, "44", "97"),
    CityData("Stalowa Wola", "podkarpackie", 50.5826, 22.0535, "15", "37"),
    CityData("Kędzierzyn-Koźle", "opolskie", 50.3499, 18.2261, "77", "47"),
    CityData("Mielec", "podkarpackie", 50.2874, 21.4239, "17", "39"),
    CityData("Tczew", "pomorskie", 54.0924, 18.7779, "58", "83"),
    CityData("Biała Podlaska", "lubelskie", 52.0324, 23.1165, "83", "21"),
    CityData("Zgierz", "łódzkie", 51.8553, 19.4061, "42", "95"),
    CityData("Bełchatów", "łódzkie", 51.3688, 19.3567, "44", "97"),
    CityData("Świdnica", "dolnośląskie", 50.8449, 16.4898, "74", "58"),
    CityData("Pabianice", "łódzkie", 51.6645, 19.3547, "42", "95"),
    CityData("Ostrołęka", "mazowieckie", 53.0862, 21.5753, "29", "07"),
    CityData("Legionowo", "mazowieckie", 52.4016, 20.9264, "22", "05"),
)  # fmt: skip

DEFAULT_DISTRICTS = ("Centrum", "Śródmieście", "Stare Miasto", "Północ", "Południe", "Zachód", "Wschód")


def cities(count: int) -> list[CityData]:
    """``count`` cities: the real ones first (largest first); beyond the list, numbered satellite towns of the real
    cities (only the scaled benchmark network asks for that many)."""
    chosen = list(CITIES[:count])
    extra = 0
    while len(chosen) < count:
        base = CITIES[extra % len(CITIES)]
        ring = extra // len(CITIES) + 1
        chosen.append(
            CityData(
                f"{base.name} – gmina {ring}",
                base.voivodeship,
                round(base.latitude + 0.05 * ring, 4),
                round(base.longitude + 0.05 * ring, 4),
                base.area_code,
                base.postal_prefix,
            )
        )
        extra += 1
    return chosen
