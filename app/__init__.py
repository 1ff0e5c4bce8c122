"""The Streamlit page of Fundstelle (``streamlit run app/streamlit_app.py``) and its parts.

``confidence`` words how sure an answer is, ``render`` turns hits into escaped,
highlighted HTML, ``uploads`` adds and removes documents safely, ``texts`` holds the German
and English wording. The page itself is ``streamlit_app.py``.
"""

__all__: list[str] = []
