"""The pages of the app, as data: app.py builds the navigation and the home cards from it, and the
browser tests open every page listed here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # the page file, relative to the repository root
    title: str
    icon: str
    url_path: str  # stable: links to /<url_path> are shared by instructors
    blurb: str  # what a student does there, for the home page's card


PAGES: list[PageInfo] = [
]
