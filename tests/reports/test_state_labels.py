"""The four states carry the labels of docs/reports.md in both languages, on pages and in the API."""

from django.utils import translation

from reports.choices import ReportState

FRENCH = {
    "msp_preparation": "Préparation du fournisseur de services gérés (MSP)",
    "under_review": "En cours de vérification",
    "approved": "Approuvé",
    "rejected": "Rejeté",
}
ENGLISH = {
    "msp_preparation": "MSP preparation",
    "under_review": "Under review",
    "approved": "Approved",
    "rejected": "Rejected",
}


def test_state_labels_in_english_and_french():
    with translation.override("en"):
        assert {state.value: str(state.label) for state in ReportState} == ENGLISH
    with translation.override("fr"):
        assert {state.value: str(state.label) for state in ReportState} == FRENCH


def test_french_report_page_and_api_show_the_french_state(world, login, open_report):
    report = open_report(world.a.msp)
    client = login(world.a.users["msp_admin"])
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    html = client.get(f"/o/{world.a.msp.slug}/reports/{report.pk}/").content.decode()
    assert FRENCH["msp_preparation"] in html
    api = client.get(
        f"/api/v1/orgs/{world.a.msp.slug}/usage-reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).json()
    assert api["state_label"] == FRENCH["msp_preparation"]
