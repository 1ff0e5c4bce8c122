"""The Streamlit page of Fundstelle (``streamlit run app/streamlit_app.py``) and its parts.

``confidence`` words how sure an answer is, ``render`` turns hits into escaped,
highlighted HTML, ``markup`` finds headings and Markdown emphasis for it, ``uploads`` adds
and removes documents safely, ``texts`` holds the German and English wording and
``wording`` picks among it, ``scripts`` holds the page's two scripts. The page itself is
``streamlit_app.py``; everything but it can be tested without Streamlit.
"""

__all__: list[str] = []
