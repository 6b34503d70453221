"""The baseline for the load test: FastAPI parsing the same answer batch, and nothing else."""

from fastapi import FastAPI

from service.answers.schemas import AnswerBatch

app = FastAPI()


@app.put("/bare")
def parse_batch(batch: AnswerBatch) -> dict[str, int]:
    """Validate the batch exactly as the sync endpoint's body is validated."""
    return {"answers": len(batch.answers)}
