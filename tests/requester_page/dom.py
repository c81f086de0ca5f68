"""A tiny DOM for tests: html.parser into a tree, with lookups by tag, id and attributes."""
from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def walk(self) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                found += child.walk()
        return found

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        attrs = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.walk() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def by_id(self, element_id: str) -> Node:
        return self.find(None, id=element_id)

    def ancestors(self) -> list[str]:
        node, tags = self.parent, []
        while node is not None:
            tags.append(node.tag)
            node = node.parent
        return tags


class Document(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    return Document(html).root


def table_rows(table: Node) -> list[list[str]]:
    """The body rows of a table as cell texts (the row header first)."""
    body = table.find("tbody")
    return [[cell.text() for cell in row.children if isinstance(cell, Node) and cell.tag in ("th", "td")]
            for row in body.find_all("tr")]


def facts(dl: Node) -> dict[str, str]:
    """A <dl> of <div><dt/><dd/></div> as {term: value}."""
    return {div.find("dt").text(): div.find("dd").text() for div in dl.find_all("div")}
