"""What the demo licensing is made of, as data: Northwind's catalog, and each demo MSP's cost
centers, people and holdings (the story of licensing/demo/__init__.py)."""

from dataclasses import dataclass

from ..choices import BillingType, Program

DISTRIBUTOR = "northwind"
DISTRIBUTOR_ADMIN = "dist.admin@northwind.example"
PERIODS = 14  # the story covers the fourteen months before today, one period each
HISTORY_DAYS = 426
# A transferred agreement's anniversary falls on the 12th of the month this many months before
# the current one (UTC, as the reports demo counts its cycles): a month whose report is approved
# at both demo MSPs, so that true-up is on an issued invoice (the later anniversary's month is
# still under review).
TRANSFERRED_ANNIVERSARY_MONTHS_BACK = 5
TRANSFERRED_ANNIVERSARY_DAY = 12
LICENSE, USAGE = BillingType.LICENSE, BillingType.USAGE
TRUE_UP, NO_OVERALLOCATION = Program.TRUE_UP, Program.NO_OVERALLOCATION


@dataclass(frozen=True)
class CatalogItem:
    code: str
    sku: str
    name: str
    publisher: str
    unit_type: str
    price: str  # EUR per unit and month (per GB-month, per hour for usage-based products)
    billing_type: str
    program: str  # TRUE_UP: like an Enterprise Agreement; NO_OVERALLOCATION: like Open License


MS, LIC, USE, NO_OVER = "Microsoft", LICENSE, USAGE, NO_OVERALLOCATION
CATALOG = tuple(
    CatalogItem(*row)
    for row in (
        ("MS-M365-BB", "P1M", "Microsoft 365 Business Basic", MS, "seat", "5.60", LIC, NO_OVER),
        ("MS-M365-BP", "P1M", "Microsoft 365 Business Premium", MS, "seat", "20.60", LIC, NO_OVER),
        ("MS-M365-E3", "P1M", "Microsoft 365 E3", MS, "seat", "35.70", LIC, TRUE_UP),
        ("MS-M365-E5", "P1M", "Microsoft 365 E5", MS, "seat", "54.70", LIC, TRUE_UP),
        ("MS-EXO-P1", "P1M", "Exchange Online (Plan 1)", MS, "seat", "3.70", LIC, NO_OVER),
        ("MS-MDE-P1", "P1M", "Microsoft Defender for Endpoint P1", MS, "seat", "2.80", LIC, NO_OVER),
        ("MS-INTUNE-P1", "P1M", "Microsoft Intune Plan 1", MS, "seat", "7.50", LIC, NO_OVER),
        ("MS-ENTRA-P1", "P1M", "Microsoft Entra ID P1", MS, "seat", "5.60", LIC, NO_OVER),
        ("MS-TEAMS-PHONE", "P1M", "Teams Phone Standard", MS, "seat", "7.50", LIC, TRUE_UP),
        ("MS-D365-SALES-PRO", "P1M", "Dynamics 365 Sales Professional", MS, "seat", "61.60", LIC, TRUE_UP),
        ("MS-VISIO-P2", "P1M", "Visio Plan 2", MS, "seat", "14.10", LIC, TRUE_UP),
        ("MS-PROJECT-P3", "P1M", "Project Plan 3", MS, "seat", "28.10", LIC, TRUE_UP),
        ("VEEAM-VB365", "VCSP-M", "Veeam Backup for Microsoft 365", "Veeam", "user", "1.90", LIC, NO_OVER),
        ("AZ-BACKUP-GRS", "GB-MONTH", "Azure Backup storage (GRS)", MS, "GB", "0.0448", USE, TRUE_UP),
        ("AZ-BACKUP-LRS", "GB-MONTH", "Azure Backup storage (LRS)", MS, "GB", "0.0224", USE, TRUE_UP),
        ("AZ-VM-D2SV5", "HOUR", "Azure Virtual Machines D2s v5 (Linux)", MS, "hour", "0.0880", USE, TRUE_UP),
    )
)


@dataclass(frozen=True)
class Holding:
    """What an MSP holds of one product and how its assigned count moves.

    ``path`` gives the assigned count at the end of some periods (0 = fourteen months ago,
    13 = this month, until now), straight lines in between; people leaving are replaced in the
    same period. ``bought`` and ``removed`` are (period, quantity)."""

    code: str
    bought: tuple[tuple[int, int], ...]
    path: tuple[tuple[int, int], ...]
    split: tuple[tuple[str, int], ...]  # cost center code → weight, for purchases
    removed: tuple[tuple[int, int], ...] = ()
    suite: bool = False  # a person holds at most one suite (Business Basic/Premium, E3, E5, Exchange)
    teams: tuple[str, ...] = ()  # top-level cost centers whose people get it (empty: anyone)
    phone: bool = False  # its holders have a phone extension
    yearly: bool = False  # billed yearly (charge cycle) rather than monthly
    # An agreement brought over from another distributor: its term started before the first
    # purchase here and keeps its anniversary (story.transferred_term_start), so its first
    # true-up here comes months before the others'.
    transferred: bool = False

    def target(self, period: int) -> int:
        points = sorted(self.path)
        if period <= points[0][0]:
            return points[0][1]
        for (p0, v0), (p1, v1) in zip(points, points[1:], strict=False):
            if p0 <= period <= p1:
                return round(v0 + (v1 - v0) * (period - p0) / (p1 - p0))
        return points[-1][1]


@dataclass(frozen=True)
class DemoMsp:
    slug: str
    admin_email: str
    domain: str
    cost_centers: tuple[tuple[str, str, str | None], ...]  # code, name, parent code
    departments: tuple[tuple[str, int], ...]  # where people work (cost center code → weight)
    holdings: tuple[Holding, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    extension_base: int
    rooms: tuple[tuple[str, str], ...] = ()  # (name, extension): phones of meeting rooms
    monthly_departures: float = 0.012  # share of the people with a license who leave each month


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


CONTOSO = DemoMsp(
    slug="contoso",
    admin_email="admin@contoso.example",
    domain="contoso.example",
    cost_centers=(
        ("HQ", "Head office", None),
        ("HQ-FIN", "Finance", "HQ"),
        ("HQ-HR", "People & HR", "HQ"),
        ("SALES", "Sales", None),
        ("SALES-FR", "Sales France", "SALES"),
        ("SALES-BNL", "Sales Benelux", "SALES"),
        ("SUP", "Support", None),
        ("SUP-DESK", "Service desk", "SUP"),
        ("SUP-INFRA", "Infrastructure & cloud", "SUP"),
        ("RND", "R&D", None),
        ("RND-DEV", "Software development", "RND"),
        ("RND-LAB", "Lab & quality", "RND"),
    ),
    departments=(
        ("HQ", 2),
        ("HQ-FIN", 3),
        ("HQ-HR", 2),
        ("SALES-FR", 6),
        ("SALES-BNL", 3),
        ("SUP-DESK", 7),
        ("SUP-INFRA", 5),
        ("RND-DEV", 6),
        ("RND-LAB", 2),
    ),
    holdings=(
        Holding(
            "MS-M365-BP",
            bought=((0, 40), (8, 4)),
            path=((0, 30), (13, 39)),
            split=(("HQ-FIN", 2), ("HQ-HR", 2), ("SALES-FR", 4), ("SALES-BNL", 2), ("SUP-DESK", 5)),
            suite=True,
        ),
        Holding(
            "MS-M365-E3",  # over-allocated for three months: the true-up will bill the peak (28)
            bought=((0, 25),),
            path=((0, 18), (9, 23), (10, 25), (11, 26), (12, 28), (13, 27)),
            split=(("SUP-INFRA", 3), ("RND-DEV", 4), ("RND-LAB", 1), ("HQ", 1)),
            suite=True,
            teams=("SUP", "RND", "HQ"),
        ),
        Holding(
            "MS-M365-E5",  # transferred; 8 for 7 owned for a few weeks before its anniversary: billed 1
            bought=((0, 7),),
            path=((0, 4), (3, 5), (4, 8), (5, 6), (13, 6)),
            split=(("HQ", 1),),
            suite=True,
            teams=("HQ", "SUP"),
            transferred=True,
        ),
        Holding(
            "MS-EXO-P1",  # frontline mailboxes; four licenses removed when a contract ended
            bought=((0, 28),),
            removed=((6, 4),),
            path=((0, 22), (6, 20), (13, 19)),
            split=(("SUP-DESK", 3), ("SALES-FR", 1)),
            suite=True,
            teams=("SUP", "SALES"),
        ),
        Holding(
            "MS-MDE-P1",
            bought=((0, 50), (7, 8)),
            path=((0, 40), (13, 50)),
            split=(("SUP-INFRA", 1),),
        ),
        Holding(
            "MS-INTUNE-P1",
            bought=((0, 35), (10, 4)),
            path=((0, 25), (13, 33)),
            split=(("SUP-INFRA", 1),),
        ),
        Holding(
            "MS-TEAMS-PHONE",  # near capacity: 17 of 18
            bought=((0, 18),),
            path=((0, 10), (13, 17)),
            split=(("SALES-FR", 2), ("SALES-BNL", 1), ("SUP-DESK", 2)),
            teams=("SALES", "SUP"),
            phone=True,
        ),
        Holding(
            "MS-VISIO-P2",  # a project went to 8 for 6 owned, then back to 5: the last true-up billed it
            bought=((0, 6),),
            path=((0, 3), (8, 5), (10, 8), (11, 5), (13, 5)),
            split=(("RND-DEV", 1),),
            teams=("RND", "SUP"),
        ),
        Holding(
            "MS-PROJECT-P3",  # paid for the year: a yearly charge cycle
            bought=((0, 5),),
            path=((0, 3), (13, 4)),
            split=(("HQ", 1), ("RND", 1)),
            teams=("HQ", "RND"),
            yearly=True,
        ),
    ),
    first_names=_names(
        "Camille, Léa, Hugo, Louis, Chloé, Manon, Lucas, Emma, Jules, Inès, Nathan, Sarah, Thomas, "
        "Julie, Antoine, Claire, Maxime, Pauline, Nicolas, Élodie, Julien, Mathilde, Alexandre, "
        "Laura, Romain, Marion, Quentin, Céline, Benoît, Sophie, Yanis, Amina, Karim, Leïla, "
        "Mehdi, Nora, Pierre, Anne, Mathieu, Aurélie, Guillaume, Hélène, Arthur, Zoé, Théo, Lucie, "
        "Bastien, Margaux, Florian, Justine, Sébastien, Émilie, Olivier, Agathe, Rayan, Salomé, "
        "Vincent, Noémie, Adrien, Jeanne"
    ),
    last_names=_names(
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
        "Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, "
        "Girard, André, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier, "
        "Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Perrin, Morin, Mathieu, Clément, "
        "Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, Benali, Nguyen, "
        "Haddad, Lemaire, Janssens, Peeters, De Smet"
    ),
    extension_base=3100,
    rooms=(
        ("Meeting room Rivoli (3rd floor)", "3010"),
        ("Meeting room Opéra", "3011"),
        ("Reception Paris", "3000"),
    ),
)

FABRIKAM = DemoMsp(
    slug="fabrikam",
    admin_email="admin@fabrikam.example",
    domain="fabrikam.example",
    cost_centers=(
        ("HQ", "Head office", None),
        ("HQ-ADM", "Administration & finance", "HQ"),
        ("SALES", "Sales", None),
        ("SALES-ON", "Sales Ontario", "SALES"),
        ("SALES-QC", "Sales Québec", "SALES"),
        ("SUP", "Support", None),
        ("SUP-NOC", "Network operations centre", "SUP"),
        ("SUP-FIELD", "Field services", "SUP"),
        ("RND", "Engineering", None),
        ("RND-LAB", "Engineering lab", "RND"),
    ),
    departments=(
        ("HQ", 1),
        ("HQ-ADM", 3),
        ("SALES-ON", 5),
        ("SALES-QC", 3),
        ("SUP-NOC", 5),
        ("SUP-FIELD", 5),
        ("RND", 3),
        ("RND-LAB", 2),
    ),
    holdings=(
        Holding(
            "MS-M365-BB",
            bought=((0, 25),),
            path=((0, 18), (13, 20)),
            split=(("SUP-FIELD", 3), ("SUP-NOC", 1)),
            suite=True,
            teams=("SUP", "HQ"),
        ),
        Holding(
            "MS-M365-BP",  # near capacity: 35 of 38
            bought=((0, 34), (9, 4)),
            path=((0, 26), (13, 35)),
            split=(("HQ-ADM", 2), ("SALES-ON", 3), ("SALES-QC", 2), ("RND", 2), ("SUP-NOC", 1)),
            suite=True,
        ),
        Holding(
            "MS-D365-SALES-PRO",  # over-allocated: 10 assigned for 8 owned
            bought=((0, 6), (6, 2)),
            path=((0, 5), (6, 7), (12, 9), (13, 10)),
            split=(("SALES-ON", 6), ("SALES-QC", 4)),
            teams=("SALES",),
        ),
        Holding(
            "MS-MDE-P1",
            bought=((0, 50),),
            path=((0, 40), (13, 43)),
            split=(("SUP-NOC", 1),),
        ),
        Holding(
            "MS-ENTRA-P1",
            bought=((0, 16),),
            path=((0, 10), (13, 13)),
            split=(("SUP-NOC", 1), ("RND", 1)),
            teams=("SUP", "RND", "HQ"),
        ),
        Holding(
            "MS-VISIO-P2",  # transferred; 9 for 8 owned for a few weeks before its anniversary: billed 1
            bought=((0, 8),),
            path=((0, 4), (2, 6), (3, 9), (4, 6), (13, 7)),
            split=(("RND", 1), ("RND-LAB", 1)),
            teams=("RND", "SUP"),
            transferred=True,
        ),
    ),
    first_names=_names(
        "Olivia, Liam, Noah, Emma, Charlotte, Benjamin, Amelia, Lucas, Ava, William, Chloé, "
        "Gabriel, Sophia, Raj, Priya, Wei, Mei, Mohammed, Aisha, Ethan, Mia, Jacob, Zoe, Owen, "
        "Hannah, Nathan, Isabelle, Samuel, Léa, Arjun, Daniel, Grace, Félix, Maya, Jonathan, "
        "Nadia, Marc-André, Émilie, Tyler, Jessica, Kevin, Simran, Hiroshi, Yuna, Carlos, Sofia, "
        "Patrick, Megan, Alexandre, Catherine"
    ),
    last_names=_names(
        "Smith, Brown, Tremblay, Martin, Roy, Wilson, MacDonald, Gagnon, Johnson, Taylor, "
        "Campbell, Anderson, Lee, Leblanc, Côté, Bouchard, Patel, Singh, Nguyen, Chen, Wong, Kim, "
        "Young, Scott, Murphy, Clarke, Gauthier, Morin, Fortin, Pelletier, Thompson, White, "
        "Stewart, Ahmed, Ali, Khan, Li, Zhang, O'Brien, Bélanger, Lavoie, Girard, Sato, Rodrigues, "
        "Silva, Kowalski"
    ),
    extension_base=4100,
    monthly_departures=0.015,
)

DEMO_MSPS = (CONTOSO, FABRIKAM)


def purchase_key(slug: str, period: int) -> str:
    return f"demo-{slug}-licensing-{period:02d}"
