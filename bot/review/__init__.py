"""The review desk: /review walks a period's submissions unit by unit; a coordinator
returns one for revision (退回) or comments on it (点评); the liaison hears of both through
the outbox. Adoption (✅ 采用) is bot.scoring's; its button sits on the review card."""
