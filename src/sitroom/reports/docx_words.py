"""The AAR/IP document's fixed words: every label the Word template uses, their Korean, and
the object that picks a message or a package text in the report's language.

The labels are a stable interface (``labels.<key>`` in an agency's template, documented in
``docs/aar-template.md``), so they are kept apart from the code that fills the template.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence

from sitroom.package.model import text_in
from sitroom.reports import i18n
from sitroom.reports.model import Text

N_ = i18n.N_

LABELS: dict[str, str] = {
    "report_title": N_("After-Action Report / Improvement Plan"),
    "draft": N_("DRAFT"),
    "final": N_("FINAL"),
    "status": N_("Status"),
    "page": N_("Page"),
    "report_hash": N_("Report hash"),
    "run": N_("Run"),
    "upto": N_("Record up to event"),
    "complete_scope": N_("Complete report for exercise staff"),
    "party_scope": N_("Report for"),
    "finalised": N_("finalised"),
    "integrity_warning": N_(
        "Warning: the record no longer gives the hash this report was finalised with."
    ),
    "exercise_overview": N_("Exercise Overview"),
    "exercise_name": N_("Exercise Name"),
    "exercise_dates": N_("Exercise Dates"),
    "exercise_type": N_("Exercise Type"),
    "venue": N_("Venue"),
    "scope": N_("Scope"),
    "series": N_("Exercise Series"),
    "mission_areas": N_("Mission Area(s)"),
    "core_capabilities": N_("Core Capabilities"),
    "objectives": N_("Objectives"),
    "threat_or_hazard": N_("Threat or Hazard"),
    "scenario": N_("Scenario"),
    "sponsor": N_("Sponsor"),
    "participating_organizations": N_("Participating Organizations"),
    "point_of_contact": N_("Point of Contact"),
    "modules": N_("Modules"),
    "conduct": N_("Conduct"),
    "executive_summary": N_("Executive Summary"),
    "major_strengths": N_("Major Strengths"),
    "primary_improvements": N_("Primary Areas for Improvement"),
    "analysis_of_capabilities": N_("Analysis of Core Capabilities"),
    "capability_table_intro": N_(
        "Aligning exercise objectives and core capabilities provides a consistent taxonomy "
        "for evaluation. The table summarises the rating of each objective and core "
        "capability; an X marks the evaluators' consensus."
    ),
    "capability_table_caption": N_("Table 1. Summary of Core Capability Performance"),
    "objective": N_("Objective"),
    "core_capability": N_("Core Capability"),
    "rating": N_("Rating"),
    "not_rated": N_("Not rated"),
    "definition": N_("Definition"),
    "rating_definitions": N_("Ratings Definitions"),
    "capability_targets": N_("Capability targets"),
    "strengths": N_("Strengths"),
    "areas_for_improvement": N_("Areas for Improvement"),
    "other_findings": N_("Other Findings"),
    "reference": N_("Reference"),
    "evidence": N_("Evidence"),
    "corrective_actions": N_("Corrective actions"),
    "drafted_note": N_("Drafted from the evidence; not yet reviewed by an evaluator."),
    "none_recorded": N_("None recorded."),
    "guideline_clauses": N_("Guideline Clauses"),
    "clauses_discussed": N_("Clauses discussed"),
    "clauses_not_discussed": N_("Clauses not discussed"),
    "clause": N_("Clause"),
    "text": N_("Text"),
    "evidence_count": N_("Evidence items"),
    "analytics": N_("Exercise Analytics"),
    "latency": N_("Time to respond and decide, by inject and team"),
    "inject": N_("Inject"),
    "team": N_("Team"),
    "first_response": N_("First response"),
    "first_decision": N_("First decision"),
    "concurrence": N_("Joint decisions and concurrence"),
    "decision": N_("Decision"),
    "parties": N_("Parties"),
    "time_to_concur": N_("Time to concur"),
    "participation": N_("Participation"),
    "team_or_party": N_("Team or party"),
    "responses": N_("Responses"),
    "decisions": N_("Decisions"),
    "answers": N_("Answers"),
    "notes": N_("Notes"),
    "votes": N_("Votes"),
    "total": N_("Total"),
    "share": N_("Share"),
    "polls": N_("Polls"),
    "milestones": N_("Milestones"),
    "milestone": N_("Milestone"),
    "objectives_and_tasks": N_("Objectives and tasks"),
    "clock": N_("Clock"),
    "time": N_("Time"),
    "reached_by": N_("Reached by"),
    "answer_times": N_("SimCell answer times"),
    "answer_times_caption": N_(
        "Time from a team's first message to the simulated organisation's first answer (minutes)"
    ),
    "organisation": N_("Organisation"),
    "threads": N_("Threads"),
    "answered": N_("Answered"),
    "median": N_("Median"),
    "longest": N_("Longest"),
    "question": N_("Question"),
    "voters": N_("Voters"),
    "top_option": N_("Top option"),
    "alignment": N_("Alignment"),
    "hot_wash": N_("Hot Wash"),
    "feedback": N_("Participant Feedback"),
    "statement": N_("Statement"),
    "mean": N_("Mean (1–5)"),
    "feedback_strengths": N_("Strengths named by participants"),
    "feedback_improvements": N_("Areas for improvement named by participants"),
    "feedback_missed": N_("What evaluators may have missed"),
    "feedback_suggested_actions": N_("Suggested corrective actions"),
    "appendix_a": N_("Appendix A: Improvement Plan"),
    "improvement_plan_intro": N_(
        "This Improvement Plan lists the corrective actions for the areas for improvement "
        "identified in this report."
    ),
    "no_actions": N_("No corrective actions recorded."),
    "appendix_b": N_("Appendix B: Exercise Participants"),
    "party": N_("Party"),
    "role": N_("Role"),
    "people": N_("People"),
    "appendix_c": N_("Appendix C: Acronyms"),
    "acronym": N_("Acronym"),
    "meaning": N_("Meaning"),
}
"""Every fixed word of the document, by the key the template uses (``labels.<key>``)."""

# Korean for the labels above, used only when the ``reports`` catalog has no translation of
# its own (the catalog wins, so HTML, PDF and DOCX say the same thing where it has one).
KOREAN: dict[str, str] = {
    "After-Action Report / Improvement Plan": "사후강평보고서 / 개선계획",
    "DRAFT": "초안(DRAFT)",
    "FINAL": "최종본",
    "Status": "상태",
    "Page": "쪽",
    "Report hash": "보고서 해시",
    "Run": "실행",
    "Record up to event": "기록 반영 범위(이벤트)",
    "Complete report for exercise staff": "연습 운영진용 전체 보고서",
    "Report for": "대상",
    "finalised": "확정",
    "Warning: the record no longer gives the hash this report was finalised with.": (
        "경고: 현재 기록으로 다시 만든 보고서의 해시가 확정 당시의 해시와 다르다."
    ),
    "Exercise Overview": "연습 개요",
    "Exercise Name": "연습 명칭",
    "Exercise Dates": "연습 일자",
    "Exercise Type": "연습 유형",
    "Venue": "장소",
    "Scope": "범위",
    "Exercise Series": "연습 시리즈",
    "Mission Area(s)": "임무 영역",
    "Core Capabilities": "핵심역량",
    "Objectives": "연습 목표",
    "Threat or Hazard": "위협 또는 재난",
    "Scenario": "시나리오",
    "Sponsor": "주관기관",
    "Participating Organizations": "참여 기관",
    "Point of Contact": "연락 담당자",
    "Modules": "모듈",
    "Conduct": "진행",
    "Executive Summary": "요약",
    "Major Strengths": "주요 강점",
    "Primary Areas for Improvement": "주요 개선 필요 사항",
    "Analysis of Core Capabilities": "핵심역량 분석",
    "Aligning exercise objectives and core capabilities provides a consistent taxonomy for "
    "evaluation. The table summarises the rating of each objective and core capability; an X "
    "marks the evaluators' consensus.": (
        "연습 목표와 핵심역량을 연계하면 일관된 기준으로 평가할 수 있다. 아래 표는 목표와 "
        "핵심역량별 등급을 요약하며, X는 평가관들의 합의 등급을 표시한다."
    ),
    "Table 1. Summary of Core Capability Performance": "표 1. 핵심역량 수행 결과 요약",
    "Objective": "목표",
    "Core Capability": "핵심역량",
    "Rating": "등급",
    "Not rated": "미평가",
    "Definition": "정의",
    "Ratings Definitions": "등급 정의",
    "Capability targets": "역량 목표치",
    "Strengths": "강점",
    "Areas for Improvement": "개선 필요 사항",
    "Other Findings": "기타 평가 결과",
    "Reference": "근거",
    "Evidence": "증거",
    "Corrective actions": "시정 조치",
    "Drafted from the evidence; not yet reviewed by an evaluator.": (
        "증거로부터 자동 작성됨. 평가관 검토 전."
    ),
    "None recorded.": "기록 없음.",
    "Guideline Clauses": "지침 조항",
    "Clauses discussed": "토의된 조항",
    "Clauses not discussed": "토의되지 않은 조항",
    "Clause": "조항",
    "Text": "내용",
    "Evidence items": "증거 수",
    "Exercise Analytics": "연습 분석",
    "Time to respond and decide, by inject and team": "상황조성별·팀별 대응 및 결정 소요 시간",
    "Inject": "상황조성",
    "Team": "팀",
    "First response": "첫 대응",
    "First decision": "첫 결정",
    "Joint decisions and concurrence": "공동 결정과 동의",
    "Decision": "결정",
    "Parties": "당사국",
    "Time to concur": "동의 소요 시간",
    "Participation": "참여도",
    "Team or party": "팀 또는 당사국",
    "Responses": "대응",
    "Decisions": "결정",
    "Answers": "답변",
    "Notes": "메모",
    "Votes": "투표",
    "Total": "합계",
    "Share": "비율",
    "Polls": "설문",
    "Question": "질문",
    "Voters": "투표자",
    "Top option": "최다 선택",
    "Alignment": "일치도",
    "Hot Wash": "핫워시(즉시 강평)",
    "Participant Feedback": "참가자 의견",
    "Statement": "문항",
    "Mean (1–5)": "평균(1–5)",
    "Strengths named by participants": "참가자가 꼽은 강점",
    "Areas for improvement named by participants": "참가자가 꼽은 개선 필요 사항",
    "What evaluators may have missed": "평가관이 놓쳤을 수 있는 사항",
    "Suggested corrective actions": "제안된 시정 조치",
    "Appendix A: Improvement Plan": "부록 A: 개선계획",
    "This Improvement Plan lists the corrective actions for the areas for improvement "
    "identified in this report.": "이 개선계획은 본 보고서에서 식별된 개선 필요 사항에 대한 "
    "시정 조치를 정리한다.",
    "No corrective actions recorded.": "기록된 시정 조치 없음.",
    "Appendix B: Exercise Participants": "부록 B: 연습 참가자",
    "Party": "당사국",
    "Role": "역할",
    "People": "인원",
    # phrases built in code
    "{n} forms ({anonymous} anonymous)": "의견서 {n}건(익명 {anonymous}건)",
    "… and {n} more": "… 외 {n}건",
    "{strengths} strengths and {improvements} areas for improvement across {capabilities} "
    "objective and core capability pairs; {actions} corrective actions.": (
        "{capabilities}개 목표·핵심역량 조합에서 강점 {strengths}건, 개선 필요 사항 "
        "{improvements}건, 시정 조치 {actions}건."
    ),
    "{events} events in the record, {observations} observations; active time {active}.": (
        "기록된 이벤트 {events}건, 관찰 {observations}건, 진행 시간 {active}."
    ),
    "STARTEX": "STARTEX",
    "ENDEX": "ENDEX",
}

# Capability elements are HSEEP words typed into the Improvement Plan as English keys.
ELEMENTS_KO = {
    "Planning": "계획",
    "Organization": "조직",
    "Equipment": "장비",
    "Training": "훈련",
    "Exercise": "연습",
}


class Words:
    """The report's fixed words and package text in one language."""

    def __init__(self, lang: str, languages: Sequence[str]) -> None:
        self.lang = lang
        self.languages = tuple(languages)
        self.catalog: gettext.NullTranslations = i18n.report_translations(lang)
        self.korean = lang.split("-", 1)[0].split("_", 1)[0] == "ko"

    def __call__(self, message: str) -> str:
        """``message`` in the report's language: the shared catalog first, then our own."""
        translated = self.catalog.gettext(message)
        if translated == message and self.korean:
            return KOREAN.get(message, message)
        return translated

    def pick(self, text: Text | None) -> str:
        """Package text in the report's language, else in the package's languages in order."""
        return text_in(dict(text) if text else None, self.lang, self.languages)
