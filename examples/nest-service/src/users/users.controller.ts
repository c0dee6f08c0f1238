// GET /users/:id and POST /users, behind the auth guard.
import { Body, Controller, Get, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { CreateUserDto } from './create-user.dto';
import { type User, UsersService } from './users.service';

@Controller('users')
@UseGuards(AuthGuard)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  findOne(@Param('id') id: string): User {
    return this.users.findOne(id);
  }

  @Post()
  create(@Body() dto: CreateUserDto): User {
    return this.users.create(dto);
  }
}
