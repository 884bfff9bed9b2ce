"""Polish names and streets for the demo network: common first names by sex, surnames with their feminine forms,
street names of Polish towns. Invented combinations only: no entry describes a real person."""

from __future__ import annotations

FEMALE_FIRST_NAMES = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Elżbieta", "Magdalena",
    "Joanna", "Zofia", "Aleksandra", "Monika", "Teresa", "Danuta", "Natalia", "Karolina", "Marta", "Beata",
    "Dorota", "Janina", "Jadwiga", "Julia", "Halina", "Irena", "Grażyna", "Bożena", "Justyna", "Renata",
    "Paulina", "Urszula", "Hanna", "Iwona", "Alicja", "Agata", "Jolanta", "Wiktoria", "Zuzanna", "Maja",
    "Lena", "Oliwia", "Amelia", "Helena", "Emilia", "Weronika", "Kinga", "Dominika", "Patrycja", "Sylwia",
    "Izabela", "Martyna", "Gabriela", "Nikola", "Antonina", "Laura", "Pola", "Michalina", "Lucyna", "Wanda",
)  # fmt: skip

MALE_FIRST_NAMES = (
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin", "Stanisław", "Jakub",
    "Adam", "Marek", "Łukasz", "Grzegorz", "Mateusz", "Wojciech", "Mariusz", "Dariusz", "Zbigniew", "Jerzy",
    "Maciej", "Rafał", "Robert", "Kamil", "Józef", "Janusz", "Jacek", "Tadeusz", "Kazimierz", "Artur",
    "Ryszard", "Dawid", "Sebastian", "Przemysław", "Bartosz", "Damian", "Henryk", "Daniel", "Roman", "Szymon",
    "Filip", "Antoni", "Franciszek", "Aleksander", "Wiktor", "Nikodem", "Ignacy", "Leon", "Oskar", "Kacper",
    "Hubert", "Igor", "Karol", "Patryk", "Sławomir", "Leszek", "Wiesław", "Bogdan", "Eryk", "Tymon",
)  # fmt: skip

# Masculine forms; :func:`surname_for` derives the feminine form (-ski/-ska, -cki/-cka, -dzki/-dzka).
SURNAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
    "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Wojciechowski", "Kwiatkowski",
    "Krawczyk", "Kaczmarek", "Piotrowski", "Grabowski", "Zając", "Pawłowski", "Michalski", "Król",
    "Nowakowski", "Wieczorek", "Jabłoński", "Wróbel", "Majewski", "Olszewski", "Stępień", "Malinowski",
    "Jaworski", "Adamczyk", "Dudek", "Nowicki", "Pawlak", "Górski", "Witkowski", "Walczak", "Sikora",
    "Baran", "Rutkowski", "Michalak", "Szewczyk", "Ostrowski", "Tomaszewski", "Pietrzak", "Zalewski",
    "Wróblewski", "Marciniak", "Jasiński", "Zawadzki", "Bąk", "Jakubowski", "Sadowski", "Duda", "Włodarczyk",
    "Wilk", "Chmielewski", "Borkowski", "Sokołowski", "Szczepański", "Sawicki", "Lis", "Kucharski", "Kalinowski",
    "Wysocki", "Mazurek", "Kubiak", "Maciejewski", "Czarnecki", "Kołodziej", "Urbański", "Kaczmarczyk",
    "Sobczak", "Konieczny", "Głowacki", "Zakrzewski", "Krajewski", "Krupa", "Adamski", "Wasilewski", "Sikorski",
    "Laskowski", "Ziółkowski", "Gajewski", "Szulc", "Makowski", "Baranowski", "Czerwiński", "Szymczak",
    "Brzeziński", "Kaźmierczak", "Kowalewski", "Przybylski", "Borowski", "Domański", "Mróz", "Szczepaniak",
    "Górecki", "Cieślak", "Kołodziejczyk", "Kurek", "Leśniak", "Błaszczyk", "Szwed", "Piątek", "Kozieł",
    "Rogalski", "Bielecki", "Lisowski", "Chojnacki", "Jaworek", "Żak", "Mikołajczyk", "Pawlik", "Fijałkowski",
)  # fmt: skip

STREETS = (
    "ul. Mickiewicza", "ul. Słowackiego", "ul. Kościuszki", "ul. Piłsudskiego", "ul. Sienkiewicza",
    "ul. Kopernika", "ul. Jana Pawła II", "ul. Długa", "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka",
    "ul. Szkolna", "ul. Ogrodowa", "ul. Lipowa", "ul. Brzozowa", "ul. Łąkowa", "ul. Kwiatowa", "ul. Kolejowa",
    "ul. Parkowa", "ul. Akacjowa", "ul. Warszawska", "ul. Kościelna", "ul. Sportowa", "ul. Zielona",
    "ul. Źródlana", "ul. Wrzosowa", "ul. Klonowa", "ul. Żeromskiego", "ul. Reymonta", "ul. Konopnickiej",
    "ul. Prusa", "ul. Chopina", "ul. Moniuszki", "ul. Matejki", "ul. Kilińskiego", "ul. Traugutta",
    "ul. Wyspiańskiego", "ul. Norwida", "ul. Orzeszkowej", "ul. Fredry", "ul. Batorego", "ul. Sobieskiego",
    "ul. Grunwaldzka", "ul. Armii Krajowej", "ul. 3 Maja", "ul. 11 Listopada", "ul. Wojska Polskiego",
    "ul. Niepodległości", "ul. Partyzantów", "ul. Kasprowicza", "ul. Tuwima", "ul. Dworcowa", "ul. Rynek",
    "ul. Świętokrzyska", "ul. Wolności", "ul. Zamkowa", "ul. Ogrodników", "ul. Wiejska", "ul. Mostowa",
    "al. Solidarności", "al. Jerozolimska", "al. Niepodległości", "al. Wojska Polskiego", "al. Lipowa",
    "pl. Wolności", "pl. Kościuszki", "os. Słoneczne", "ul. Szpitalna", "ul. Lekarska", "ul. Zdrowa",
)  # fmt: skip

# Invented partner facility names (none of them describes a real practice).
PARTNER_PATTERNS = ("Przychodnia {}", "NZOZ {}", "Centrum Medyczne {}", "Gabinety Lekarskie {}", "Poradnia {}")
PARTNER_WORDS = (
    "Zdrowie", "Medica", "Salus", "Vita", "Pod Lipami", "Na Skarpie", "Rodzina", "Panaceum", "Hipokrates",
    "Eskulap", "Zdrowa Dolina", "Słoneczna", "Pod Dębem", "Nadzieja", "Med-Plus", "Przy Parku", "Familia",
    "Promed", "Bona Vita", "Verbena", "Arnika", "Kalina", "Melisa", "Szałwia", "Nowy Dom", "Przy Rynku",
    "Zdrowy Dom", "Sanitas", "Optima", "Medyk", "Lecznica Miejska", "Pod Kasztanami", "Leśna Polana",
)  # fmt: skip


def feminine(surname: str) -> str:
    """The feminine form of a Polish surname: Kowalski → Kowalska, Nowak → Nowak."""
    for ending, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(ending):
            return surname[: -len(ending)] + female
    return surname


def surname_for(surname: str, sex: str) -> str:
    """A surname in the form for a person of the given sex ("F" or "M")."""
    return feminine(surname) if sex == "F" else surname


_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def ascii_fold(text: str) -> str:
    """Polish letters without diacritics, for logins and e-mail addresses: Łukasz Wójcik → Lukasz Wojcik."""
    return text.translate(_ASCII)
